#pragma once
// The call pipeline: a chain of small stages, each with one send(context) that does
// its part and calls the next. Built once per client:
//
//   retry  →  auth  →  limiter  →  transport
//
// Retry is the outer loop, so every attempt re-authenticates and takes a fresh
// limiter slot (the token endpoint's own chain is limiter → transport). A stage
// returns the HTTP response whatever its status — only the client facade turns a
// non-2xx status into an error — or a typed transport/pacing error.

#include <codex/net/http_message.hpp>
#include <codex/observer.hpp>
#include <codex/result.hpp>

#include <asio/awaitable.hpp>

#include <chrono>

namespace codex::call {

using clock = std::chrono::steady_clock;

/// One logical call as it travels the pipeline.
struct call_context {
  net::http_request request;      ///< target, body, caller headers; auth headers are set per attempt
  clock::time_point deadline;     ///< of the whole call: every attempt and wait fits in it
  std::chrono::milliseconds attempt_timeout{};  ///< cap on one exchange (0: the call's deadline)
  bool replay_safe = false;       ///< idempotent method, or a POST with an Idempotency-Key
  call_report report;             ///< filled in by each stage
  observer* log = nullptr;        ///< where stages write diagnostic lines; may be null
};

/// Writes a diagnostic line to the call's observer, through the secret scrubber.
void log_line(const call_context& context, log_level level, std::string_view text);

using attempt_result = result<net::http_response>;

/// A pipeline stage. Thread-safety: send() may run concurrently for different calls.
class stage {
 public:
  virtual ~stage() = default;
  virtual asio::awaitable<attempt_result> send(call_context& context) = 0;
};

/// True when the caller cancelled the current coroutine (its cancellation slot fired).
asio::awaitable<bool> cancelled();

/// Sleeps until `until` on a timer: the wait ends early, with errc::cancelled, when the
/// coroutine is cancelled. Never sleeps past `deadline`: a wait that would end after it
/// fails at once with errc::deadline_too_short.
asio::awaitable<std::error_code> sleep_until(clock::time_point until, clock::time_point deadline);

}  // namespace codex::call
