#include "limit/limiter_backend.hpp"

namespace codex::limit {
namespace {

using clock = std::chrono::steady_clock;

time_ns to_axis(clock::time_point t) { return t.time_since_epoch(); }

}  // namespace

result<slot> local_limiter::try_acquire(clock::time_point now, clock::time_point deadline) {
  auto reserved = limiter_->try_reserve(to_axis(now), to_axis(deadline));
  if (!reserved) {
    // When the slot would come: a caller that may wait longer than this call (the
    // ingester, a user's own retry) needs it, as it needs a 429's Retry-After.
    const auto wait = limiter_->ready_time(to_axis(now)) - to_axis(now);
    return error_info{.code = make_error_code(errc::deadline_too_short),
                      .message = "the rate limiter's next slot comes after the call's deadline",
                      .retry_after = std::chrono::ceil<std::chrono::milliseconds>(wait)};
  }
  const auto ready = now + std::chrono::duration_cast<clock::duration>(reserved->delay(to_axis(now)));
  return slot{.ready_at = ready, .use_by = ready + slot_slack(limiter_->emission_interval()), .local = *reserved};
}

asio::awaitable<result<slot>> local_limiter::acquire(clock::time_point deadline) {
  co_return try_acquire(clock::now(), deadline);
}

void local_limiter::release(const slot& s) noexcept {
  if (s.local) limiter_->cancel(*s.local);
}

void local_limiter::push_back_until(clock::time_point until) { limiter_->push_back_until(to_axis(until)); }

void local_limiter::pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                                      std::optional<std::uint64_t> server_limit) {
  limiter_->pace_from_headers(remaining, reset, server_limit, to_axis(clock::now()));
}

}  // namespace codex::limit
