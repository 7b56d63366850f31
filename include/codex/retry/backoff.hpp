#pragma once
// codex::retry::backoff_policy — "how long to wait" before a retry: capped exponential
// backoff with full jitter. Randomness is an argument, so that tests choose it.

#include <chrono>
#include <cstdint>

namespace codex::retry {

/// Capped exponential backoff with full jitter (the wait is uniform in
/// [0, min(max, initial × multiplier^(retry-1))]): the spread that keeps many clients
/// that failed together from retrying together. A plain value; thread-safe to read.
struct backoff_policy {
  std::chrono::milliseconds initial = std::chrono::milliseconds(100);  ///< ceiling of the first retry's wait
  std::chrono::milliseconds max = std::chrono::seconds(10);            ///< cap on every ceiling
  double multiplier = 2.0;                                             ///< growth per retry (≥ 1)

  /// The ceiling of the wait before retry number `retry` (1 = the first retry; 0 is
  /// treated as 1): min(max, initial × multiplier^(retry-1)). Never negative.
  std::chrono::milliseconds ceiling(std::uint32_t retry) const noexcept;

  /// The wait before retry number `retry`: full_jitter(ceiling(retry), random_bits).
  std::chrono::milliseconds delay(std::uint32_t retry, std::uint64_t random_bits) const noexcept;
};

/// Maps 64 uniformly distributed random bits to a duration uniform in [0, ceiling]
/// (0 for a ceiling ≤ 0). Pure; monotonic in random_bits.
std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling, std::uint64_t random_bits) noexcept;

/// 64 random bits for jitter from a per-thread generator seeded from the OS. Not for
/// secrets (use OpenSSL for those). Thread-safe (thread_local state).
std::uint64_t jitter_bits() noexcept;

}  // namespace codex::retry
