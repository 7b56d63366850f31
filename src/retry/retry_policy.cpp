#include "retry/retry_policy.hpp"

#include <algorithm>

namespace codex::retry {
namespace {

using std::chrono::milliseconds;

retry_class classify_status(int status) noexcept {
  if (status >= 200 && status < 300) return retry_class::success;
  switch (status) {
    case 429: return retry_class::always;  // rejected before any processing
    case 408: case 500: case 502: case 503: case 504: return retry_class::if_replay_safe;
    default: return retry_class::never;
  }
}

retry_class classify_transport(const std::error_code& error) noexcept {
  if (error.category() != codex::category()) return retry_class::never;
  switch (static_cast<errc>(error.value())) {
    // Nothing reached the server.
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::proxy_unreachable:  // the proxy may be restarting, as a server may
    case errc::tls_handshake_failed:
      return retry_class::always;
    // The request may have been executed.
    case errc::connection_closed:
    case errc::connection_reset:
    case errc::timeout:
    case errc::io_error:
      return retry_class::if_replay_safe;
    default:
      return retry_class::never;
  }
}

retry_decision stop(stop_reason reason, std::error_code error) noexcept {
  return retry_decision{.retry = false, .delay = milliseconds::zero(), .honours_retry_after = false,
                        .reason = reason, .error = error};
}

}  // namespace

retry_class classify(const attempt_outcome& outcome) noexcept {
  if (outcome.http_status != 0) return classify_status(outcome.http_status);
  if (!outcome.error) return retry_class::never;  // neither a response nor an error: nothing sane to repeat
  const retry_class kind = classify_transport(outcome.error);
  // A stall before the request's first byte (a handshake that never ends) is a
  // timeout like any other, but the server cannot have seen the request.
  if (kind == retry_class::if_replay_safe && !outcome.request_written) return retry_class::always;
  return kind;
}

const char* to_string(stop_reason reason) noexcept {
  switch (reason) {
    case stop_reason::succeeded: return "succeeded";
    case stop_reason::not_retryable: return "not_retryable";
    case stop_reason::not_replay_safe: return "not_replay_safe";
    case stop_reason::attempts_exhausted: return "attempts_exhausted";
    case stop_reason::elapsed_exhausted: return "elapsed_exhausted";
    case stop_reason::deadline_exceeded: return "deadline_exceeded";
    case stop_reason::deadline_too_short: return "deadline_too_short";
    case stop_reason::budget_exhausted: return "budget_exhausted";
  }
  return "unknown";
}

retry_decision decide(const attempt_outcome& outcome, const retry_state& state,
                      const retry_options& options, clock::time_point now,
                      std::uint64_t random_bits) noexcept {
  const retry_class kind = classify(outcome);
  if (kind == retry_class::success) return stop(stop_reason::succeeded, {});
  if (kind == retry_class::never) return stop(stop_reason::not_retryable, outcome.error);
  if (kind == retry_class::if_replay_safe && !state.replay_safe) {
    return stop(stop_reason::not_replay_safe, outcome.error);
  }
  if (state.attempts >= options.max_attempts) return stop(stop_reason::attempts_exhausted, outcome.error);
  if (now >= state.deadline) return stop(stop_reason::deadline_exceeded, outcome.error);
  const auto elapsed = now - state.started;
  if (elapsed >= options.max_elapsed) return stop(stop_reason::elapsed_exhausted, outcome.error);

  // The least we must wait, and what we would like to wait.
  const auto remaining = state.deadline - now;
  milliseconds minimum;
  milliseconds delay;
  if (outcome.retry_after) {
    minimum = std::max(*outcome.retry_after, milliseconds::zero());
    delay = minimum + full_jitter(options.retry_after_jitter, random_bits);
  } else {
    minimum = options.backoff.delay(state.attempts, random_bits);
    delay = minimum;
  }
  if (minimum >= remaining) return stop(stop_reason::deadline_too_short, make_error_code(errc::deadline_too_short));
  if (elapsed + minimum > options.max_elapsed) return stop(stop_reason::elapsed_exhausted, outcome.error);
  // Jitter must not carry the retry into the deadline the server's time fits before.
  if (delay >= remaining) delay = std::max(minimum, std::chrono::floor<milliseconds>(remaining) - milliseconds(1));
  return retry_decision{.retry = true, .delay = delay, .honours_retry_after = outcome.retry_after.has_value(),
                        .reason = stop_reason::succeeded, .error = {}};
}

retry_tracker::retry_tracker(const retry_options& options, clock::time_point started,
                             clock::time_point deadline, bool replay_safe, retry_budget* budget) noexcept
    : options_(options),
      state_{.attempts = 0, .started = started, .deadline = deadline, .replay_safe = replay_safe},
      budget_(budget) {}

retry_decision retry_tracker::on_attempt(const attempt_outcome& outcome, clock::time_point now,
                                         std::uint64_t random_bits) noexcept {
  ++state_.attempts;
  retry_decision decision = decide(outcome, state_, options_, now, random_bits);
  if (!budget_) return decision;
  if (decision.retry) {
    // Spent only once every other check has passed: a call that stops costs nothing.
    if (!budget_->try_spend(now)) {
      return stop(stop_reason::budget_exhausted, make_error_code(errc::retry_budget_exhausted));
    }
  } else if (decision.reason == stop_reason::succeeded) {
    budget_->on_success();
  }
  return decision;
}

}  // namespace codex::retry
