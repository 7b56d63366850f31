#include "call/call_driver.hpp"

#include "call/credential_header.hpp"
#include "call/token_source.hpp"
#include "json/error_body.hpp"
#include "net/send_borrowed.hpp"

#include <codex/api/account.hpp>
#include <codex/api/batch.hpp>
#include <codex/api/document.hpp>
#include <codex/api/page.hpp>
#include <codex/auth/scrubber.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <openssl/crypto.h>

#include <optional>

namespace codex::call {
namespace {

/// A non-2xx response as the typed error the caller sees.
error_info error_from_response(const net::http_response& response, std::optional<std::chrono::milliseconds> retry_after) {
  auto body = json::decode_error_body(response.body);
  error_info info{.code = make_error_code(errc_from_status(response.status)),
                  .http_status = response.status,
                  .service_code = std::move(body.error),
                  .message = auth::scrub(body.message)};
  if (auto id = response.headers.find("X-Request-Id")) info.request_id = std::string(*id);
  info.retry_after = retry_after;
  return info;
}

/// The effects an action asks for before its step.
void perform_effects(const action& next, call_machine& machine, const call_resources& with) {
  if (next.release_slot) with.limiter->release(machine.slot());
  if (next.invalidate_token) with.tokens->invalidate(machine.token());
  if (next.push_limiter_until) with.limiter->push_back_until(*next.push_limiter_until);
  if (next.pace) with.limiter->pace_from_headers(next.pace->remaining, next.pace->reset, next.pace->server_limit);
  if (with.log != nullptr) {
    for (const auto& line : next.logs) with.log->on_log(line.level, auth::scrub(line.text));
  }
}

/// The Bearer token of this attempt, set just before it is sent (a fixed credential is
/// among the preset fields). True when there is one to wipe afterwards.
bool stamp_token(net::http_request& request, const call_machine& machine) {
  if (!machine.token()) return false;
  std::string header = "Bearer ";
  header += machine.token()->reveal();
  request.headers.set("Authorization", header);
  OPENSSL_cleanse(header.data(), header.size());
  return true;
}

/// What the caller gets: the outcome, with a non-2xx response made the typed error
/// and every message scrubbed; and the call's report to the observer.
attempt_result finish(call_job& job, call_outcome outcome) {
  const call_resources& with = *job.with;
  attempt_result& response = outcome.response;
  if (with.errors_from_status && response && (response->status < 200 || response->status > 299))
    response = error_from_response(*response, outcome.retry_after);
  if (!response) {
    error_info failure = std::move(response).error();
    failure.message = auth::scrub(failure.message);
    response = std::move(failure);
  }
  if (with.report_calls && with.log != nullptr) {
    call_report& report = job.machine.report();
    report.latency = clock::now() - job.started;
    report.error = response.code();
    report.status = response ? response->status : response.error().http_status;
    with.log->on_call(report);
  }
  return std::move(response);
}

}  // namespace

call_job::~call_job() {
  if (with->secret_body) OPENSSL_cleanse(request.body.data(), request.body.size());
}

/// The response's body decoded with `decode`, or the call's failure.
template <class T>
result<T> decode_response(attempt_result response, decoder<T> decode) {
  if (!response) return std::move(response).error();
  result<T> decoded = decode(response->body);
  if (decoded) return decoded;
  error_info info = std::move(decoded).error();
  info.http_status = response->status;
  if (auto id = response->headers.find("X-Request-Id")) info.request_id = std::string(*id);
  return info;
}

template <class T, delivery how>
asio::awaitable<delivered<T, how>> drive(call_job job, decoder<T> decode) {
  call_machine& machine = job.machine;
  const call_resources& with = *job.with;
  machine.report().path = std::string_view(job.request.target).substr(job.path_at, job.path_size);  // the job moves no more
  std::optional<asio::steady_timer> timer;  // made on the first wait; most calls never wait
  action next = machine.resume(started{clock::now()});
  for (;;) {
    perform_effects(next, machine, with);
    switch (next.next) {
      case step::get_token: {
        auto token = co_await with.tokens->get(next.until, machine.report());
        next = machine.resume(token_ready{std::move(token), clock::now()});
        break;
      }
      case step::get_slot: {
        // The in-process limiter answers at once: no suspension, no frame.
        if (auto now_slot = with.limiter->try_acquire_now(clock::now(), next.until)) {
          next = machine.resume(slot_ready{std::move(*now_slot), clock::now()});
        } else {
          auto slot = co_await with.limiter->acquire(next.until);
          next = machine.resume(slot_ready{std::move(slot), clock::now()});
        }
        break;
      }
      case step::wait: {
        auto state = co_await asio::this_coro::cancellation_state;
        bool cancelled = state.cancelled() != asio::cancellation_type::none;
        if (!cancelled && next.until > clock::now()) {
          if (!timer) timer.emplace(co_await asio::this_coro::executor);
          timer->expires_at(next.until);
          auto [ec] = co_await timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
          cancelled = static_cast<bool>(ec);
        }
        next = machine.resume(woken{cancelled, clock::now()});
        break;
      }
      case step::send: {
        const bool token_sent = stamp_token(job.request, machine);
        net::sent_request sent = co_await net::send_borrowed(*with.transport, job.request, next.until,
                                                             machine.plan().replay_safe, with.preset_fields);
        if (token_sent) wipe_header(job.request.headers, "Authorization");
        next = machine.resume(response_ready{std::move(sent.response), clock::now(), std::chrono::system_clock::now(),
                                             sent.request_written});
        break;
      }
      case step::done:
        if constexpr (std::is_same_v<T, net::http_response>) {
          (void)decode;
          co_return deliver<how>(finish(job, machine.take_outcome()));
        } else {
          co_return deliver<how>(decode_response(finish(job, machine.take_outcome()), decode));
        }
    }
  }
}

// Every model a call returns, in both deliveries (the raw response only as a result).
template asio::awaitable<result<net::http_response>> drive(call_job, decoder<net::http_response>);
#define CODEX_DRIVE_BOTH(T)                                                                   \
  template asio::awaitable<result<T>> drive<T, delivery::as_result>(call_job, decoder<T>); \
  template asio::awaitable<T> drive<T, delivery::or_throw>(call_job, decoder<T>);
CODEX_DRIVE_BOTH(account)
CODEX_DRIVE_BOTH(std::string)
CODEX_DRIVE_BOTH(document)
CODEX_DRIVE_BOTH(page<document>)
CODEX_DRIVE_BOTH(batch_result)
CODEX_DRIVE_BOTH(batch_get_result)
#undef CODEX_DRIVE_BOTH

}  // namespace codex::call
