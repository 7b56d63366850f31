#pragma once
// Hooks that report what each call did, for the user's own metrics and logs.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace codex {

/// Why an attempt was followed by another.
enum class retry_reason : std::uint8_t {
  rate_limited,       ///< 429
  server_error,       ///< 500, 502, 503, 504
  request_timeout,    ///< 408
  transport_failure,  ///< connection reset/closed, timeout before a response
  token_rejected,     ///< 401 invalid_token on a Bearer request: refreshed and resent once
};

/// "rate_limited", "server_error", ...
std::string_view to_string(retry_reason reason) noexcept;

/// Everything one logical call did, reported once when it ends.
struct call_report {
  std::string_view method;                 ///< "GET", "POST", ...
  std::string_view path;                   ///< relative to the base URL, without the query
  int attempts = 0;                        ///< requests sent, the first included (0: refused before sending)
  std::vector<retry_reason> retries;       ///< one per extra attempt, in order
  std::chrono::nanoseconds limiter_wait{}; ///< summed over attempts
  /// Limiter slots given up because the thread running the call was held up past them
  /// (sent late, they would have bunched with later ones): a sign of blocking work on
  /// the event loop.
  int stale_slots = 0;
  std::chrono::nanoseconds token_wait{};   ///< time spent waiting for an access token
  int token_refreshes = 0;                 ///< refreshes this call started or waited for
  int status = 0;                          ///< final HTTP status; 0 if none arrived
  std::error_code error;                   ///< empty on success
  std::chrono::nanoseconds latency{};      ///< from the call's start to its end
};

/// Severity of a log line.
enum class log_level : std::uint8_t { debug, info, warning, error };

/// Receives reports and log lines. Implementations must be thread-safe (calls arrive
/// from every thread that runs the client) and must not block. Log text has been
/// scrubbed of credentials and token-shaped strings before it arrives.
class observer {
 public:
  virtual ~observer() = default;
  /// One per logical call, at its end.
  virtual void on_call(const call_report& report) noexcept { (void)report; }
  /// Diagnostic lines (retries, refreshes, pacing).
  virtual void on_log(log_level level, std::string_view text) noexcept {
    (void)level;
    (void)text;
  }
};

}  // namespace codex
