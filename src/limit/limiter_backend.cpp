#include "limit/limiter_backend.hpp"

namespace codex::limit {
namespace {

using clock = std::chrono::steady_clock;

time_ns to_axis(clock::time_point t) { return t.time_since_epoch(); }

}  // namespace

result<slot> local_backend::try_acquire(clock::time_point now, clock::time_point deadline) {
  auto reserved = limiter_->try_reserve(to_axis(now), to_axis(deadline));
  if (!reserved) {
    return error_info{.code = make_error_code(errc::deadline_too_short),
                      .message = "the rate limiter's next slot comes after the call's deadline"};
  }
  const auto ready = now + std::chrono::duration_cast<clock::duration>(reserved->delay(to_axis(now)));
  return slot{.ready_at = ready, .local = *reserved};
}

asio::awaitable<result<slot>> local_backend::acquire(clock::time_point deadline) {
  co_return try_acquire(clock::now(), deadline);
}

void local_backend::release(const slot& s) noexcept {
  if (s.local) limiter_->cancel(*s.local);
}

void local_backend::push_back_until(clock::time_point until) { limiter_->push_back_until(to_axis(until)); }

void local_backend::pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                                      std::optional<std::uint64_t> server_limit) {
  limiter_->pace_from_headers(remaining, reset, server_limit, to_axis(clock::now()));
}

}  // namespace codex::limit
