#include "emulator/rate_limiter.hpp"

#include "emulator/time_format.hpp"

#include <algorithm>

namespace codex::emulator {
namespace {

limiter_time emission_interval(const rate_limit_options& o) {
  const std::uint32_t limit = std::max<std::uint32_t>(o.limit, 1);
  return std::chrono::duration_cast<limiter_time>(o.window) / limit;
}

}  // namespace

std::int64_t ceil_seconds(limiter_time t) noexcept {
  if (t <= limiter_time::zero()) return 0;
  return std::chrono::ceil<std::chrono::seconds>(t).count();
}

rate_decision gcra_decide(gcra_state& state, limiter_time now, const rate_limit_options& options) {
  const limiter_time t = emission_interval(options);
  const limiter_time tolerance = t * options.capacity();
  const limiter_time new_tat = std::max(state.tat, now) + t;
  const limiter_time backlog = new_tat - now;
  rate_decision d;
  d.limit = options.capacity();
  if (backlog > tolerance) {
    d.allowed = false;
    d.retry_after = backlog - tolerance;
    d.remaining = 0;
    d.reset = std::max(state.tat - now, limiter_time::zero());
    return d;
  }
  state.tat = new_tat;
  d.remaining = static_cast<std::uint32_t>((tolerance - backlog) / t);
  d.reset = backlog;
  return d;
}

rate_decision fixed_window_decide(window_state& state, limiter_time now, const rate_limit_options& options) {
  const limiter_time window = std::max(std::chrono::duration_cast<limiter_time>(options.window), limiter_time{1});
  const limiter_time start = now - now % window;
  if (start != state.window_start) {
    state.window_start = start;
    state.count = 0;
  }
  rate_decision d;
  d.limit = options.limit;
  d.reset = start + window - now;
  if (state.count >= options.limit) {
    d.allowed = false;
    d.retry_after = d.reset;
    return d;
  }
  ++state.count;
  d.remaining = options.limit - state.count;
  return d;
}

rate_decision rate_limiter::decide(const std::string& key, limiter_time now, const rate_limit_options& options) {
  if (keys_.size() >= max_keys_) prune(now);
  entry& e = keys_[key];
  return options.mode == limiter_mode::gcra ? gcra_decide(e.gcra, now, options)
                                            : fixed_window_decide(e.window, now, options);
}

void rate_limiter::prune(limiter_time now) {
  // A key whose bucket refilled (GCRA) and whose window ended carries no state.
  std::erase_if(keys_, [now](const auto& kv) {
    return kv.second.gcra.tat <= now && kv.second.window.window_start < now - std::chrono::hours(1);
  });
}

std::string format_retry_after(limiter_time retry_after, std::chrono::system_clock::time_point now,
                               retry_after_format format) {
  const std::int64_t secs = std::max<std::int64_t>(ceil_seconds(retry_after), 1);
  if (format == retry_after_format::seconds) return std::to_string(secs);
  // The date must not be earlier than the moment the request would pass: round the
  // instant up to a whole second (IMF-fixdate has no fractions).
  const auto due = std::chrono::ceil<std::chrono::seconds>(now + retry_after);
  return format_http_date(std::chrono::system_clock::time_point{due});
}

}  // namespace codex::emulator
