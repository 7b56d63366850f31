#pragma once
// codex::call::call_machine — the sequence of one call, sans I/O: an access token if
// the credential needs one, a limiter slot and its wait, the attempt, and after each
// response the one 401 resend, the retry (Retry-After or backoff, retry budget) or the
// end — every wait checked against the call's deadline before it starts.
//
// The machine never sleeps, locks, reads a clock or touches a socket: resume() takes
// what happened (with `now`) and returns the next thing to do; the driver
// (call/call_driver.hpp) performs it and resumes again. So the whole sequence is
// tested step by step without sockets or clocks (tests/unit/call_machine_test.cpp),
// and a call is one coroutine frame plus what its I/O needs. The shape is that of
// Boost.Redis's detail/exec_fsm.hpp.

#include "limit/limiter_backend.hpp"

#include <codex/auth/secret.hpp>
#include <codex/net/pacing_headers.hpp>
#include <codex/net/http_message.hpp>
#include <codex/observer.hpp>
#include <codex/result.hpp>
#include "retry/retry_policy.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace codex::call {

using clock = std::chrono::steady_clock;
using attempt_result = result<net::http_response>;
/// An access token as the token cache hands it out (shared by the calls that use it).
using token_ptr = std::shared_ptr<const auth::secret>;

/// What the machine needs to know of the call before it starts.
struct call_plan {
  clock::time_point deadline;                   ///< of the whole call: every attempt and wait fits in it
  std::chrono::milliseconds attempt_timeout{};  ///< cap on one exchange (0: the call's deadline)
  bool replay_safe = false;                     ///< idempotent method, or a POST with an Idempotency-Key
  /// Bearer tokens from client credentials: each attempt asks for the current token,
  /// and a 401 invalidates it, refreshes once and resends once. Otherwise the
  /// credential's header is fixed (API key, given token, none) and a 401 is final.
  bool refreshable_token = false;
  /// Must outlive the machine; `budget` may be null (no budget).
  const retry::retry_options* retry = nullptr;
  retry::retry_budget* budget = nullptr;
  /// Randomness for backoff and Retry-After jitter (retry::jitter_bits in the SDK; a
  /// fixed value in tests). Null: 0.
  std::uint64_t (*random_bits)() = nullptr;
};

/// What the driver does next.
enum class step : std::uint8_t {
  get_token,  ///< get the current access token, waiting no later than `until`; resume(token_ready)
  get_slot,   ///< take a limiter slot that comes no later than `until`; resume(slot_ready)
  wait,       ///< sleep until `until` (never past the deadline); resume(woken)
  send,       ///< send the attempt — with token() if set — by `until`; resume(response_ready)
  done,       ///< the call is over: take_outcome()
};

/// X-RateLimit-* pacing to pass to the limiter (limiter_backend::pace_from_headers).
struct pacing {
  std::uint64_t remaining = 0;
  std::optional<std::chrono::nanoseconds> reset;
  std::optional<std::uint64_t> server_limit;
};

/// A diagnostic line for the call's observer (the driver passes it through the scrubber).
struct log_entry {
  log_level level = log_level::info;
  std::string text;
};

/// The next step, and the effects to perform first, in this order.
struct action {
  step next = step::done;
  clock::time_point until{};

  bool release_slot = false;      ///< give back slot(): its request was never sent
  bool invalidate_token = false;  ///< a 401 for token(): forget it if it is still the current one
  std::optional<clock::time_point> push_limiter_until;  ///< a 429's Retry-After, for every user of the key
  std::optional<pacing> pace;     ///< what the response said of the server's own limit
  std::vector<log_entry> logs;    ///< empty on the steady path (no allocation)
};

// ---- events: what happened, with the time it was seen --------------------------

struct started {
  clock::time_point now;
};
struct token_ready {
  result<token_ptr> token;
  clock::time_point now;
};
struct slot_ready {
  result<limit::slot> slot;
  clock::time_point now;
};
struct woken {
  bool cancelled = false;  ///< the wait ended early: the caller cancelled the call
  clock::time_point now;
};
struct response_ready {
  attempt_result response;
  clock::time_point now;
  std::chrono::system_clock::time_point wall_now;  ///< for an HTTP-date Retry-After
  /// False when the attempt failed before any byte of the request was written.
  bool request_written = true;
};

/// How the call ended: the last response (whatever its status) or the typed error,
/// and the response's Retry-After, parsed once for everyone who needs it.
struct call_outcome {
  attempt_result response = make_error_code(errc::io_error);
  std::optional<std::chrono::milliseconds> retry_after;
};

/// One call's sequence. Thread-safety: none; one driver resumes it at a time.
class call_machine {
 public:
  /// `report` names the call (method, path: used in log lines); the machine fills in
  /// the rest as the call goes (attempts, retries, waits).
  call_machine(const call_plan& plan, call_report report) noexcept : plan_(plan), report_(std::move(report)) {}

  action resume(started event);
  action resume(token_ready event);
  action resume(slot_ready event);
  action resume(woken event);
  action resume(response_ready event);

  /// The token to send with (null without refreshable_token, or before one arrived).
  const token_ptr& token() const noexcept { return token_; }
  /// The slot held for the next attempt.
  const limit::slot& slot() const noexcept { return slot_; }
  call_report& report() noexcept { return report_; }
  const call_plan& plan() const noexcept { return plan_; }
  /// After step::done (before it, an io_error).
  call_outcome take_outcome() noexcept { return outcome_ ? std::move(*outcome_) : call_outcome{}; }

 private:
  enum class phase : std::uint8_t { idle, getting_token, getting_slot, waiting_for_slot, sending, backing_off, done };

  action attempt(clock::time_point now, action effects = {});
  action take_slot(clock::time_point now, action effects = {});
  action send(clock::time_point now);
  /// `request_written`: false when the attempt failed before its first byte was written.
  action decide(attempt_result result, clock::time_point now, action effects = {}, bool request_written = true);
  action finish(attempt_result result, action effects = {});
  std::string call_name() const;

  call_plan plan_;
  call_report report_;
  phase phase_ = phase::idle;
  std::optional<retry::retry_tracker> tracker_;
  token_ptr token_;
  limit::slot slot_{};
  clock::time_point token_asked_at_{};
  clock::time_point slot_asked_at_{};  ///< the first ask of this attempt: retakes of a stale slot count in its wait
  std::optional<std::chrono::milliseconds> retry_after_;  ///< of the last response
  bool resent_after_401_ = false;
  /// Empty until the call is done: a job moves several times on its way into the
  /// driver's frame, and an empty optional moves for nothing, a result for an error_info.
  std::optional<call_outcome> outcome_;
};

/// The retry classification's view of one attempt's result (Retry-After already parsed).
retry::attempt_outcome outcome_of(const attempt_result& result, std::optional<std::chrono::milliseconds> retry_after);

}  // namespace codex::call
