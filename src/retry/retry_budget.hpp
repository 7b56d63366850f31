#pragma once
// codex::retry::retry_budget — a client-wide allowance of retries (as gRPC's retry
// throttling and Finagle's RetryBudget): retries spend tokens, successes earn a fraction
// back, so that an outage does not turn every call into max_attempts calls.

#include <codex/retry/retry_options.hpp>

#include "limit/gcra.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace codex::retry {


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
