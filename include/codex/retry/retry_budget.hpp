#pragma once
// codex::retry::retry_budget — a client-wide allowance of retries (as gRPC's retry
// throttling and Finagle's RetryBudget): retries spend tokens, successes earn a fraction
// back, so that an outage does not turn every call into max_attempts calls.

#include <codex/limit/gcra.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace codex::retry {

/// Tuning of a retry budget. Defaults: 100 tokens (the budget starts full), a success
/// earns 0.1 token (so, sustained, about one retry per ten successful calls), and at
/// least 10 retries per second are always allowed, so that a client with little
/// traffic can still retry.
struct retry_budget_options {
  double max_tokens = 100.0;               ///< capacity, and the initial balance
  double refund_per_success = 0.1;         ///< earned by each successful call
  std::uint32_t min_retries_per_second = 10;  ///< a floor that needs no earned tokens (0: none)
};

/// A token bucket of retries, shared by the calls of one client.
///
/// Thread-safety: every member may be called concurrently; lock-free (atomics, CAS).
/// Time is injected (`now` on the caller's steady clock), for the floor's refill.
class retry_budget {
 public:
  /// The clock of try_spend()'s `now`.
  using clock = std::chrono::steady_clock;

  /// A full budget: max_tokens earned tokens, and the whole per-second floor.
  explicit retry_budget(const retry_budget_options& options = {});

  /// Takes one retry from the budget: from the per-second floor if it has room, else
  /// one earned token. False when both are empty — the caller then does not retry and
  /// reports errc::retry_budget_exhausted.
  bool try_spend(clock::time_point now) noexcept;

  /// A call succeeded: earns refund_per_success tokens, up to max_tokens.
  void on_success() noexcept;

  /// The earned tokens now (the floor not included). For tests and metrics.
  double tokens() const noexcept;

  /// The options the budget was made with.
  const retry_budget_options& options() const noexcept { return options_; }

 private:
  // Tokens are counted in thousandths, so that fractional refunds stay integer.
  std::atomic<std::int64_t> milli_tokens_;
  std::int64_t capacity_;
  std::int64_t refund_;
  std::unique_ptr<limit::gcra> floor_;  // null without a floor
  retry_budget_options options_;
};

}  // namespace codex::retry
