#include "call/retry_stage.hpp"

#include <codex/limit/retry_after.hpp>

namespace codex::call {
namespace {

retry_reason reason_for(const retry::attempt_outcome& outcome) {
  if (outcome.http_status == 429) return retry_reason::rate_limited;
  if (outcome.http_status == 408) return retry_reason::request_timeout;
  if (outcome.http_status >= 500) return retry_reason::server_error;
  return retry_reason::transport_failure;
}

}  // namespace

retry::attempt_outcome outcome_of(const attempt_result& result) {
  retry::attempt_outcome outcome;
  if (!result) {
    outcome.error = result.code();
    return outcome;
  }
  outcome.http_status = result->status;
  if (result->status < 200 || result->status > 299) outcome.error = errc_from_status(result->status);
  if (auto header = result->headers.find("Retry-After"))
    outcome.retry_after = limit::parse_retry_after(*header, std::chrono::system_clock::now());
  return outcome;
}

asio::awaitable<attempt_result> retry_stage::send(call_context& context) {
  retry::retry_tracker tracker(options_, clock::now(), context.deadline, context.replay_safe, &budget_);
  for (;;) {
    attempt_result result = co_await next_.send(context);
    const auto outcome = outcome_of(result);
    const auto decision = tracker.on_attempt(outcome, clock::now(), retry::jitter_bits());
    if (!decision.retry) {
      if (decision.reason != retry::stop_reason::succeeded && context.report.attempts > 1)
        log_line(context, log_level::warning,
                 std::string(context.report.method) + " " + std::string(context.report.path) + ": giving up after " +
                     std::to_string(context.report.attempts) + " attempts (" + retry::to_string(decision.reason) + ")");
      // The attempt's own result is what the caller sees — except when the loop
      // stopped for its own reasons (deadline, budget): then that is the error.
      if (decision.error && decision.error != outcome.error) {
        error_info failure = result ? error_info{.http_status = result->status} : std::move(result).error();
        // Keep what the server asked for: a caller deciding whether to try again later
        // (the ingester, a user) needs the Retry-After that the deadline could not meet.
        if (outcome.retry_after) failure.retry_after = outcome.retry_after;
        if (result) {
          if (auto id = result->headers.find("X-Request-Id")) failure.request_id = std::string(*id);
        }
        failure.code = decision.error;
        failure.message = std::string("not retried: ") + retry::to_string(decision.reason);
        co_return failure;
      }
      co_return result;
    }
    context.report.retries.push_back(reason_for(outcome));
    log_line(context, log_level::info,
             std::string(context.report.method) + " " + std::string(context.report.path) + ": " +
                 (outcome.http_status != 0 ? "HTTP " + std::to_string(outcome.http_status) : outcome.error.message()) +
                 ", retrying in " + std::to_string(decision.delay.count()) + " ms" +
                 (decision.honours_retry_after ? " (Retry-After)" : ""));
    if (co_await cancelled()) co_return make_error_code(errc::cancelled);
    if (auto ec = co_await sleep_until(clock::now() + decision.delay, context.deadline)) co_return ec;
  }
}

}  // namespace codex::call
