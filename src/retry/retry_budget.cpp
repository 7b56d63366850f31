#include "retry/retry_budget.hpp"

#include <algorithm>
#include <cmath>

namespace codex::retry {
namespace {

std::int64_t to_milli(double tokens) noexcept {
  // Negative or NaN options mean "none"; absurdly large ones are clamped.
  if (!(tokens > 0)) return 0;
  return static_cast<std::int64_t>(std::llround(std::min(tokens, 1e12) * 1000.0));
}

}  // namespace

retry_budget::retry_budget(const retry_budget_options& options)
    : milli_tokens_(to_milli(options.max_tokens)),
      capacity_(to_milli(options.max_tokens)),
      refund_(to_milli(options.refund_per_success)),
      options_(options) {
  if (options.min_retries_per_second > 0) {
    // The floor is a GCRA limiter that is never waited on: a retry takes a slot only
    // if one is free right now. Its burst equals its rate: a second's worth at once.
    const std::uint64_t per_second = std::min<std::uint64_t>(options.min_retries_per_second, 1'000'000);
    floor_ = std::make_unique<limit::gcra>(limit::rate_limit{per_second, std::chrono::seconds(1), per_second});
  }
}

bool retry_budget::try_spend(clock::time_point now) noexcept {
  if (floor_) {
    const limit::time_ns t = now.time_since_epoch();
    if (floor_->try_reserve(t, t)) return true;
  }
  std::int64_t balance = milli_tokens_.load(std::memory_order_relaxed);
  while (balance >= 1000) {
    if (milli_tokens_.compare_exchange_weak(balance, balance - 1000, std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void retry_budget::on_success() noexcept {
  if (refund_ == 0) return;
  std::int64_t balance = milli_tokens_.load(std::memory_order_relaxed);
  while (balance < capacity_) {
    const std::int64_t next = std::min(capacity_, balance + refund_);
    if (milli_tokens_.compare_exchange_weak(balance, next, std::memory_order_acq_rel,
                                            std::memory_order_relaxed)) {
      return;
    }
  }
}

double retry_budget::tokens() const noexcept {
  return static_cast<double>(milli_tokens_.load(std::memory_order_acquire)) / 1000.0;
}

}  // namespace codex::retry
