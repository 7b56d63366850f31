#pragma once
// The driver of a call: one coroutine that performs what the call_machine says —
// token, limiter slot, wait, send — and resumes it with what happened, until it is
// done. Every call of the SDK goes through drive(), the token endpoint's own requests
// included (with a plan of one attempt).

#include "call/call_machine.hpp"
#include "limit/limiter_backend.hpp"

#include <codex/net/http_message.hpp>
#include <codex/net/transport.hpp>
#include <codex/observer.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

namespace codex::call {

class bearer_tokens;

/// What a call's actions are performed with: borrowed, they must outlive the call
/// (call_job::keep_alive holds their owner).
struct call_resources {
  limit::limiter_backend* limiter = nullptr;
  net::transport* transport = nullptr;
  bearer_tokens* tokens = nullptr;                 ///< for a plan with refreshable_token
  /// Header lines sent with every request after Host (codec::format_fields): the
  /// client's Accept, User-Agent and fixed credential, made once per client.
  std::string_view preset_fields;
  observer* log = nullptr;                         ///< diagnostic lines; with report_calls, one report per call
  bool report_calls = false;
  /// A non-2xx response becomes the typed error_info (status, service code and message,
  /// X-Request-Id, Retry-After); otherwise the response is returned whatever its status.
  bool errors_from_status = false;
  /// The request body holds a secret (the token request): cleansed when the call ends.
  bool secret_body = false;
};

/// One call, moved into the driver's coroutine frame whole (so that the frame is the
/// call's only allocation of its own). Not an aggregate on purpose: see api/call.hpp.
class call_job {
 public:
  /// `report` names the method; the API path (for reports and log lines) is the part
  /// [path_at, path_at + path_size) of request.target, viewed by the report once the
  /// job sits in the driver's frame.
  call_job(const call_plan& plan, call_report report, net::http_request request, std::size_t path_at,
           std::size_t path_size, const call_resources& with, std::shared_ptr<const void> keep_alive)
      : machine(plan, std::move(report)),
        request(std::move(request)),
        path_at(path_at),
        path_size(path_size),
        with(&with),
        keep_alive(std::move(keep_alive)),
        started(clock::now()) {}
  call_job(call_job&&) = default;
  call_job& operator=(call_job&&) = delete;
  ~call_job();

  call_machine machine;
  net::http_request request;
  std::size_t path_at;
  std::size_t path_size;
  const call_resources* with;
  std::shared_ptr<const void> keep_alive;
  clock::time_point started;
};

/// How a 2xx body becomes the model (json::decode_document, ...).
template <class T>
using decoder = result<T> (*)(const std::string& body);

/// How a call's outcome reaches its caller.
enum class delivery : std::uint8_t {
  as_result,  ///< as result<T>: the try_ forms
  /// as T, a failure thrown as codex::error: the throwing forms. The driver throws, so
  /// that they cost no coroutine of their own around it (a frame, a resumption and a
  /// move of the model: about 350 instructions a GET, callgrind).
  or_throw,
};

/// What a call delivered `how` yields.
template <class T, delivery how>
using delivered = std::conditional_t<how == delivery::or_throw, T, result<T>>;

/// `outcome` as `how` delivers it: itself, or its value (throwing its failure).
template <delivery how, class T>
delivered<T, how> deliver(result<T> outcome) {
  if constexpr (how == delivery::or_throw) {
    return std::move(outcome).value();
  } else {
    return outcome;
  }
}

/// Runs the call to its end and, for T other than net::http_response, decodes a 2xx
/// body with `decode` (a decode failure keeps the response's status and X-Request-Id).
/// One coroutine frame for the whole call, decoding included. As result<T>, never
/// throws for I/O or service errors (allocation failure aside); or_throw, throws them
/// as codex::error. Cancellation: the caller's cancellation slot ends any wait or
/// exchange with errc::cancelled. Instantiated in call_driver.cpp for every model the
/// API returns.
template <class T, delivery how = delivery::as_result>
asio::awaitable<delivered<T, how>> drive(call_job job, decoder<T> decode);

/// An awaitable that yields `outcome` at once, as `how` delivers it (a call refused
/// before any I/O).
template <class T, delivery how = delivery::as_result>
asio::awaitable<delivered<T, how>> ready(result<T> outcome) {
  co_return deliver<how>(std::move(outcome));
}

/// The raw form: the response, undecoded.
inline asio::awaitable<attempt_result> drive(call_job job) { return drive<net::http_response>(std::move(job), nullptr); }

}  // namespace codex::call
