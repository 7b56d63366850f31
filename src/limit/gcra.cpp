#include "limit/gcra.hpp"

#include <codex/error.hpp>

#include <algorithm>
#include <limits>

namespace codex::limit {
namespace {

// The initial TAT: far in the past, so that the first request finds a full burst, yet
// far enough from INT64_MIN that TAT - tau cannot overflow (rate_limit::valid() keeps
// tau below a quarter of the axis).
constexpr std::int64_t initial_tat = std::numeric_limits<std::int64_t>::min() / 4;

const rate_limit& checked(const rate_limit& rate) {
  if (!rate.valid()) {
    throw codex::error(error_info{.code = make_error_code(errc::invalid_argument),
                                  .message = "invalid rate limit " + to_string(rate)});
  }
  return rate;
}

// Time arithmetic saturates far from the ends of the axis, so that an absurd input
// (a Retry-After of centuries) pins the limiter instead of wrapping around.
constexpr std::int64_t axis_max = std::numeric_limits<std::int64_t>::max() / 2;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? axis_max : -axis_max;
  return std::clamp(sum, -axis_max, axis_max);
}

}  // namespace

gcra::gcra(const rate_limit& rate)
    : tat_(initial_tat),
      interval_(checked(rate).emission_interval().count()),
      tolerance_(static_cast<std::int64_t>(rate.burst - 1) * interval_),
      rate_(rate) {}

reservation gcra::reserve(time_ns now) noexcept {
  const std::int64_t t = now.count();
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    // max(tat, t): a stale `t` can never pull TAT back, it only finds it ahead.
    const std::int64_t next = std::max(tat, t) + interval_;
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      return {time_ns(std::max(t, tat - tolerance_)), time_ns(next)};
    }
  }
}

std::optional<reservation> gcra::try_reserve(time_ns now, time_ns latest_allowed) noexcept {
  const std::int64_t t = now.count();
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t ready = std::max(t, tat - tolerance_);
    if (ready > latest_allowed.count()) return std::nullopt;
    const std::int64_t next = std::max(tat, t) + interval_;
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      return reservation{time_ns(ready), time_ns(next)};
    }
  }
}

time_ns gcra::ready_time(time_ns now) const noexcept {
  return time_ns(std::max(now.count(), tat_.load(std::memory_order_acquire) - tolerance_));
}

bool gcra::cancel(const reservation& r) noexcept {
  // Only the latest slot can be returned: TAT rises with every reservation and every
  // push, and falls only here, by exactly one interval, so TAT == r.tat_after means
  // that nothing happened since r (or that everything since was given back).
  std::int64_t expected = r.tat_after.count();
  return tat_.compare_exchange_strong(expected, expected - interval_, std::memory_order_acq_rel,
                                      std::memory_order_relaxed);
}

bool gcra::raise_to(std::int64_t target) noexcept {
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  while (tat < target) {
    if (tat_.compare_exchange_weak(tat, target, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool gcra::push_back_until(time_ns t) noexcept {
  // Ready = TAT - tau, so TAT = t + tau makes `t` the first possible ready time, with
  // later requests spaced by T after it.
  return raise_to(saturating_add(t.count(), tolerance_));
}

bool gcra::pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                             std::optional<std::uint64_t> server_limit, time_ns now) noexcept {
  if (remaining >= rate_.burst) return false;  // we could not send more than that at once anyway
  std::int64_t server_interval = interval_;
  if (reset && reset->count() > 0 && server_limit && *server_limit > remaining) {
    server_interval = reset->count() / static_cast<std::int64_t>(*server_limit - remaining);
  }
  server_interval = std::clamp(server_interval, interval_, axis_max / 4);
  // With TAT' = now + tau + I - remaining × T, exactly `remaining` reservations are
  // ready at `now` and the next one at now + I (derivation in the header's terms:
  // the k-th is ready at TAT' + k × T - tau).
  // remaining < burst, so remaining × T ≤ tau: no overflow there.
  const std::int64_t target = saturating_add(saturating_add(now.count(), tolerance_ + server_interval),
                                             -static_cast<std::int64_t>(remaining) * interval_);
  return raise_to(target);
}

}  // namespace codex::limit
