#include "call/limiter_stage.hpp"

#include <codex/limit/retry_after.hpp>

namespace codex::call {
namespace {

limit::time_ns to_axis(clock::time_point t) { return t.time_since_epoch(); }

}  // namespace

asio::awaitable<attempt_result> limiter_stage::send(call_context& context) {
  const auto now = clock::now();
  auto slot = limiter_->try_reserve(to_axis(now), to_axis(context.deadline));
  if (!slot) {
    co_return error_info{.code = make_error_code(errc::deadline_too_short),
                         .message = "the rate limiter's next slot comes after the call's deadline"};
  }
  const auto ready = now + std::chrono::duration_cast<clock::duration>(slot->delay(to_axis(now)));
  if (auto ec = co_await sleep_until(ready, context.deadline)) {
    limiter_->cancel(*slot);  // the request was never sent: give the slot back if still possible
    co_return ec;
  }
  context.report.limiter_wait += clock::now() - now;

  attempt_result outcome = co_await next_.send(context);
  if (outcome) learn_from(*outcome);
  co_return outcome;
}

void limiter_stage::learn_from(const net::http_response& response) {
  const auto wall_now = std::chrono::system_clock::now();
  const auto now = to_axis(clock::now());
  if (response.status == 429) {
    if (auto header = response.headers.find("Retry-After")) {
      if (auto wait = limit::parse_retry_after(*header, wall_now)) limiter_->push_back_until(now + *wait);
    }
  }
  auto remaining = response.headers.find("X-RateLimit-Remaining");
  if (!remaining) return;  // optional headers: pacing from them is a bonus, never required
  auto seen = limit::parse_rate_limit_headers(response.headers.find("X-RateLimit-Limit"), remaining,
                                              response.headers.find("X-RateLimit-Reset"), wall_now);
  if (seen.remaining) {
    std::optional<std::chrono::nanoseconds> reset;
    if (seen.reset) reset = *seen.reset;
    limiter_->pace_from_headers(*seen.remaining, reset, seen.limit, now);
  }
}

}  // namespace codex::call
