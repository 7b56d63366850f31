#pragma once
// Rate limiting as arithmetic on an injected time: GCRA (a token bucket expressed as
// a "theoretical arrival time") and a fixed window. No clock is read here, so tests
// drive it in virtual time.

#include "emulator/config.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace codex::emulator {

/// Time since an arbitrary epoch, as the limiter sees it.
using limiter_time = std::chrono::nanoseconds;

/// The outcome of one request against a limit.
struct rate_decision {
  bool allowed = true;
  limiter_time retry_after{0};  ///< when denied: how long until one request would pass
  std::uint32_t limit = 0;      ///< X-RateLimit-Limit
  std::uint32_t remaining = 0;  ///< X-RateLimit-Remaining (after this request)
  limiter_time reset{0};        ///< X-RateLimit-Reset: until the bucket is full again
};

/// GCRA state of one key: the theoretical arrival time of the next request.
struct gcra_state {
  limiter_time tat{0};
};

/// Fixed-window state of one key.
struct window_state {
  limiter_time window_start{-1};
  std::uint32_t count = 0;
};

/// One GCRA step. Emission interval T = window / limit; the bucket holds
/// `options.capacity()` requests: a request passes when, after adding T to
/// max(tat, now), the backlog does not exceed capacity × T. Denied requests leave
/// the state unchanged.
rate_decision gcra_decide(gcra_state& state, limiter_time now, const rate_limit_options& options);

/// One fixed-window step: windows are aligned on multiples of `options.window`; at
/// most `options.limit` requests pass in each.
rate_decision fixed_window_decide(window_state& state, limiter_time now, const rate_limit_options& options);

/// Limits per key (credential id, or "anon:" + address). Not thread-safe: the
/// service calls it under its state mutex. Memory: entries whose bucket is full
/// again are dropped when the table grows past `max_keys`.
class rate_limiter {
 public:
  explicit rate_limiter(std::size_t max_keys = 100'000) : max_keys_(max_keys) {}

  /// Counts one request for `key` at `now`.
  rate_decision decide(const std::string& key, limiter_time now, const rate_limit_options& options);
  /// Forgets every key (after the limits changed, or on reset).
  void clear() noexcept { keys_.clear(); }
  std::size_t size() const noexcept { return keys_.size(); }

 private:
  struct entry {
    gcra_state gcra;
    window_state window;
  };
  void prune(limiter_time now);

  std::unordered_map<std::string, entry> keys_;
  std::size_t max_keys_;
};

/// The Retry-After value for a denial `retry_after` from now (`now` as wall-clock time,
/// for the HTTP-date form). Delta-seconds are rounded up and at least 1.
std::string format_retry_after(limiter_time retry_after, std::chrono::system_clock::time_point now,
                               retry_after_format format);

/// Whole seconds, rounded up (X-RateLimit-Reset, Retry-After).
std::int64_t ceil_seconds(limiter_time t) noexcept;

}  // namespace codex::emulator
