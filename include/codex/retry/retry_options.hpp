#pragma once
// codex::retry::retry_options and retry_budget_options — how the SDK retries a call
// (config::retry) and how many retries a client may spend (config::retry_budget).
// Options only: the decisions and the budget are the SDK's own.

#include <codex/retry/backoff.hpp>

#include <chrono>
#include <cstdint>

namespace codex::retry {

/// The retry loop's options. Defaults: 4 attempts in all, within 60 s of the first.
struct retry_options {
  std::uint32_t max_attempts = 4;                        ///< attempts in all, the first included (1: never retry)
  std::chrono::milliseconds max_elapsed = std::chrono::seconds(60);  ///< no retry would start later than this after the first attempt
  backoff_policy backoff;                                ///< the wait when the server names none
  /// A spread added after the time a Retry-After names (full jitter in [0, this]),
  /// so that every caller told "1 s" does not come back in the same millisecond.
  std::chrono::milliseconds retry_after_jitter = std::chrono::milliseconds(250);
};

/// Tuning of a retry budget. Defaults: 100 tokens (the budget starts full), a success
/// earns 0.1 token (so, sustained, about one retry per ten successful calls), and at
/// least 10 retries per second are always allowed, so that a client with little
/// traffic can still retry.
struct retry_budget_options {
  double max_tokens = 100.0;               ///< capacity, and the initial balance
  double refund_per_success = 0.1;         ///< earned by each successful call
  std::uint32_t min_retries_per_second = 10;  ///< a floor that needs no earned tokens (0: none)
};

}  // namespace codex::retry
