#pragma once
// codex::retry — "when to stop" (attempts, elapsed time, the call's deadline, the
// client's budget) and "how long to wait" (Retry-After, else backoff) as one pure
// decision per finished attempt. The retry loop around it (a coroutine) only sleeps
// for the delay it is given, or stops with the error it is given.

#include <codex/error.hpp>
#include <codex/retry/backoff.hpp>
#include <codex/retry/retry_options.hpp>

#include "retry/retry_budget.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <system_error>

namespace codex::retry {

/// The clock of every instant the retry decisions take (`now`, started, deadline).
using clock = std::chrono::steady_clock;


/// What one attempt ended with. A response (any status) has http_status ≠ 0; a
/// transport failure has http_status 0 and a codex::errc in `error`.
struct attempt_outcome {
  int http_status = 0;                                     ///< the response's status; 0 when none arrived
  std::error_code error;                                   ///< the transport's, or errc_from_status()
  std::optional<std::chrono::milliseconds> retry_after;    ///< the response's Retry-After, parsed
  /// False when the attempt failed before any byte of the request was written (while
  /// connecting, in the proxy's tunnel, in the TLS handshake): nothing of it can have
  /// run, so any transport failure may be retried, replay-safe or not.
  bool request_written = true;
};

/// How an outcome may be retried.
enum class retry_class : std::uint8_t {
  success,            ///< 2xx: nothing to retry
  always,             ///< the server did not act on it: 429, or no byte sent (resolve, connect, TLS handshake)
  if_replay_safe,     ///< it may have been executed: 408, 500, 502, 503, 504, closed/reset/timed-out connections
  never,              ///< a final answer or a local fault: 4xx (401 is the auth layer's), other 5xx, certificates, cancellation, ...
};

/// Classifies an outcome. Transport errors of any category other than codex's are
/// `never` (every transport failure is supposed to be mapped to a codex::errc).
/// Why `timeout` may be retried: a per-attempt timeout leaves the call time to try
/// again, and the request may or may not have run, like a reset. When the call's own
/// deadline has passed, decide() stops anyway. Pure.
retry_class classify(const attempt_outcome& outcome) noexcept;

/// Why the loop stops.
enum class stop_reason : std::uint8_t {
  succeeded,           ///< 2xx
  not_retryable,       ///< classify() said never
  not_replay_safe,     ///< it may have run, and the request has no idempotency guarantee
  attempts_exhausted,  ///< max_attempts reached
  elapsed_exhausted,   ///< max_elapsed reached, or the wait would reach it
  deadline_exceeded,   ///< the call's deadline has passed
  deadline_too_short,  ///< the wait (Retry-After or backoff) would end after the call's deadline
  budget_exhausted,    ///< the client's retry budget is empty
};

/// Short name, for logs and metrics ("succeeded", "deadline_too_short", ...).
const char* to_string(stop_reason reason) noexcept;

/// The decision after one attempt: retry after `delay`, or stop and report `error`.
struct retry_decision {
  bool retry = false;                  ///< true: sleep `delay`, then attempt again; false: stop
  std::chrono::milliseconds delay{0};  ///< when retrying: how long to sleep first
  bool honours_retry_after = false;    ///< when retrying: the delay comes from the server's Retry-After
  stop_reason reason = stop_reason::succeeded;  ///< when stopping
  /// When stopping: the error to report — the attempt's own error, except
  /// errc::deadline_too_short and errc::retry_budget_exhausted. Empty on success.
  std::error_code error;
};

/// Where a call's retry loop stands.
struct retry_state {
  std::uint32_t attempts = 1;          ///< attempts made, the one just finished included
  clock::time_point started{};         ///< when the first attempt began
  clock::time_point deadline = clock::time_point::max();  ///< the call's deadline
  bool replay_safe = false;            ///< is_replay_safe(method, has Idempotency-Key)
};

/// The pure decision after an attempt (no budget: see retry_tracker). Checks, in order:
/// success; classify(); replay safety; max_attempts; the deadline; max_elapsed. Then
/// the delay: the Retry-After if any (plus jitter in [0, retry_after_jitter], clipped
/// so as not to reach the deadline) — it takes precedence over backoff — else
/// backoff.delay(attempts, random_bits). A Retry-After or backoff that would end at or
/// after the deadline stops at once with errc::deadline_too_short; one that would
/// pass max_elapsed stops with elapsed_exhausted. Pure; thread-safe.
retry_decision decide(const attempt_outcome& outcome, const retry_state& state,
                      const retry_options& options, clock::time_point now,
                      std::uint64_t random_bits) noexcept;

/// One call's retry loop state, with the client's budget: feed it every attempt's
/// outcome, do what it says. A success refunds the budget; a retry spends from it,
/// and an empty budget stops the loop with errc::retry_budget_exhausted.
///
/// Thread-safety: one tracker per call, used by one coroutine at a time; the budget it
/// points to is shared and thread-safe.
class retry_tracker {
 public:
  /// `budget` may be null (no budget) and must outlive the tracker.
  retry_tracker(const retry_options& options, clock::time_point started, clock::time_point deadline,
                bool replay_safe, retry_budget* budget = nullptr) noexcept;

  /// Counts the attempt that just finished and decides what follows it.
  retry_decision on_attempt(const attempt_outcome& outcome, clock::time_point now,
                            std::uint64_t random_bits) noexcept;

  /// Attempts made so far.
  std::uint32_t attempts() const noexcept { return state_.attempts; }
  /// The loop's state: attempts counted so far (0 before the first on_attempt()), the
  /// start, the deadline and replay safety given to the constructor.
  const retry_state& state() const noexcept { return state_; }

 private:
  retry_options options_;
  retry_state state_;
  retry_budget* budget_;
};

}  // namespace codex::retry
