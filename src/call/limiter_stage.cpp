#include "call/limiter_stage.hpp"

#include <codex/limit/retry_after.hpp>

namespace codex::call {

asio::awaitable<attempt_result> limiter_stage::send(call_context& context) {
  const auto asked = clock::now();
  for (;;) {
    auto slot = co_await limiter_->acquire(context.deadline);
    if (!slot) co_return std::move(slot).error();
    if (auto ec = co_await sleep_until(slot->ready_at, context.deadline)) {
      limiter_->release(*slot);  // the request was never sent: give the slot back if still possible
      co_return ec;
    }
    // A slot left too long (this thread was held up) stays spent: sent now, it would
    // bunch with the slots after it. The deadline bounds the retakes.
    if (!limit::is_stale(*slot, clock::now())) break;
    ++context.report.stale_slots;
  }
  context.report.limiter_wait += clock::now() - asked;

  attempt_result outcome = co_await next_.send(context);
  if (outcome) learn_from(*outcome);
  co_return outcome;
}

void limiter_stage::learn_from(const net::http_response& response) {
  const auto wall_now = std::chrono::system_clock::now();
  if (response.status == 429) {
    if (auto header = response.headers.find("Retry-After")) {
      if (auto wait = limit::parse_retry_after(*header, wall_now)) limiter_->push_back_until(clock::now() + *wait);
    }
  }
  auto remaining = response.headers.find("X-RateLimit-Remaining");
  if (!remaining) return;  // optional headers: pacing from them is a bonus, never required
  auto seen = limit::parse_rate_limit_headers(response.headers.find("X-RateLimit-Limit"), remaining,
                                              response.headers.find("X-RateLimit-Reset"), wall_now);
  if (seen.remaining) {
    std::optional<std::chrono::nanoseconds> reset;
    if (seen.reset) reset = *seen.reset;
    limiter_->pace_from_headers(*seen.remaining, reset, seen.limit);
  }
}

}  // namespace codex::call
