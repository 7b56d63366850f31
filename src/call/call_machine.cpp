#include "call/call_machine.hpp"

#include <algorithm>

namespace codex::call {
namespace {

retry_reason reason_for(const retry::attempt_outcome& outcome) {
  if (outcome.http_status == 429) return retry_reason::rate_limited;
  if (outcome.http_status == 408) return retry_reason::request_timeout;
  if (outcome.http_status >= 500) return retry_reason::server_error;
  return retry_reason::transport_failure;
}

/// What the response says of the server's own limit, if it says anything.
std::optional<pacing> pacing_of(const net::http_response& response, std::chrono::system_clock::time_point wall_now) {
  auto remaining = response.headers.find("X-RateLimit-Remaining");
  if (!remaining) return std::nullopt;  // optional headers: pacing from them is a bonus, never required
  auto seen = net::parse_rate_limit_headers(response.headers.find("X-RateLimit-Limit"), remaining,
                                              response.headers.find("X-RateLimit-Reset"), wall_now);
  if (!seen.remaining) return std::nullopt;
  pacing out{.remaining = *seen.remaining, .reset = std::nullopt, .server_limit = seen.limit};
  if (seen.reset) out.reset = *seen.reset;
  return out;
}

void add_log(action& a, log_level level, std::string text) { a.logs.push_back({level, std::move(text)}); }

}  // namespace

retry::attempt_outcome outcome_of(const attempt_result& result, std::optional<std::chrono::milliseconds> retry_after,
                                  bool request_written) {
  retry::attempt_outcome outcome;
  if (!result) {
    outcome.error = result.code();
    outcome.request_written = request_written;
    return outcome;
  }
  outcome.http_status = result->status;
  if (result->status < 200 || result->status > 299) outcome.error = errc_from_status(result->status);
  outcome.retry_after = retry_after;
  return outcome;
}

std::string call_machine::call_name() const { return std::string(report_.method) + " " + std::string(report_.path); }

action call_machine::resume(started event) {
  tracker_.emplace(*plan_.retry, event.now, plan_.deadline, plan_.replay_safe, plan_.budget);
  return attempt(event.now);
}

// Every attempt asks for the current token (the cache's, which another call may just
// have refreshed) and for its own limiter slot.
action call_machine::attempt(clock::time_point now, action effects) {
  retry_after_.reset();
  if (!plan_.refreshable_token) return take_slot(now, std::move(effects));
  phase_ = phase::getting_token;
  token_asked_at_ = now;
  effects.next = step::get_token;
  effects.until = plan_.deadline;
  return effects;
}

action call_machine::resume(token_ready event) {
  report_.token_wait += event.now - token_asked_at_;
  if (!event.token) {
    action effects;
    add_log(effects, log_level::warning, "no access token: " + event.token.error().describe());
    return decide(std::move(event.token).error(), event.now, std::move(effects));
  }
  token_ = std::move(*event.token);
  return take_slot(event.now);
}

action call_machine::take_slot(clock::time_point now, action effects) {
  phase_ = phase::getting_slot;
  slot_asked_at_ = now;
  effects.next = step::get_slot;
  effects.until = plan_.deadline;
  return effects;
}

action call_machine::resume(slot_ready event) {
  if (!event.slot) return decide(std::move(event.slot).error(), event.now);
  slot_ = *event.slot;
  if (slot_.ready_at > plan_.deadline) {
    action effects;
    effects.release_slot = true;
    return decide(make_error_code(errc::deadline_too_short), event.now, std::move(effects));
  }
  if (slot_.ready_at <= event.now) {
    report_.limiter_wait += event.now - slot_asked_at_;
    return send(event.now);
  }
  phase_ = phase::waiting_for_slot;
  return action{.next = step::wait, .until = slot_.ready_at};
}

action call_machine::send(clock::time_point now) {
  phase_ = phase::sending;
  report_.attempts += 1;
  auto until = plan_.deadline;
  if (plan_.attempt_timeout.count() > 0) until = std::min(until, now + plan_.attempt_timeout);
  return action{.next = step::send, .until = until};
}

action call_machine::resume(woken event) {
  if (phase_ == phase::backing_off) {
    if (event.cancelled) return finish(make_error_code(errc::cancelled));
    return attempt(event.now);
  }
  // Waiting for the slot's time.
  if (event.cancelled) {
    action effects;
    effects.release_slot = true;  // the request was never sent: give the slot back if still possible
    return decide(make_error_code(errc::cancelled), event.now, std::move(effects));
  }
  if (limit::is_stale(slot_, event.now)) {
    // Held up past the slot (blocking work on this thread): it stays spent — sent now,
    // it would bunch with the slots after it. The deadline bounds the retakes.
    ++report_.stale_slots;
    phase_ = phase::getting_slot;
    return action{.next = step::get_slot, .until = plan_.deadline};
  }
  report_.limiter_wait += event.now - slot_asked_at_;
  return send(event.now);
}

action call_machine::resume(response_ready event) {
  action effects;
  if (event.response) {
    const net::http_response& response = *event.response;
    // Parsed once: for the limiter push, the backoff and the caller's error.
    if (auto header = response.headers.find("Retry-After"))
      retry_after_ = net::parse_retry_after(*header, event.wall_now);
    if (response.status == 429 && retry_after_) effects.push_limiter_until = event.now + *retry_after_;
    effects.pace = pacing_of(response, event.wall_now);

    // Any 401 on a Bearer request means the token is no longer good (expired early,
    // revoked): refresh once and send once more; a second 401 is the caller's error.
    if (plan_.refreshable_token && response.status == 401 && !resent_after_401_) {
      resent_after_401_ = true;
      effects.invalidate_token = true;
      report_.retries.push_back(retry_reason::token_rejected);
      add_log(effects, log_level::info, "access token refused (HTTP 401): refreshing it and sending once more");
      return attempt(event.now, std::move(effects));
    }
  }
  return decide(std::move(event.response), event.now, std::move(effects), event.request_written);
}

action call_machine::decide(attempt_result result, clock::time_point now, action effects, bool request_written) {
  const auto outcome = outcome_of(result, retry_after_, request_written);
  const auto bits = plan_.random_bits ? plan_.random_bits() : 0;
  const auto decision = tracker_->on_attempt(outcome, now, bits);
  if (!decision.retry) {
    if (decision.reason != retry::stop_reason::succeeded && report_.attempts > 1)
      add_log(effects, log_level::warning,
              call_name() + ": giving up after " + std::to_string(report_.attempts) + " attempts (" +
                  retry::to_string(decision.reason) + ")");
    // The attempt's own result is what the caller sees — except when the loop stopped
    // for its own reasons (deadline, budget): then that is the error.
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
      return finish(std::move(failure), std::move(effects));
    }
    return finish(std::move(result), std::move(effects));
  }
  report_.retries.push_back(reason_for(outcome));
  add_log(effects, log_level::info,
          call_name() + ": " +
              (outcome.http_status != 0 ? "HTTP " + std::to_string(outcome.http_status) : outcome.error.message()) +
              ", retrying in " + std::to_string(decision.delay.count()) + " ms" +
              (decision.honours_retry_after ? " (Retry-After)" : ""));
  const auto until = now + decision.delay;
  if (until > plan_.deadline) return finish(make_error_code(errc::deadline_too_short), std::move(effects));
  phase_ = phase::backing_off;
  effects.next = step::wait;
  effects.until = until;
  return effects;
}

action call_machine::finish(attempt_result result, action effects) {
  phase_ = phase::done;
  outcome_.emplace(call_outcome{.response = std::move(result), .retry_after = retry_after_});
  effects.next = step::done;
  return effects;
}

}  // namespace codex::call
