#pragma once
// codex::errc — every failure the SDK reports, as a std::error_code category —
// and codex::error / codex::error_info, the rich form the client facade returns.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace codex {

/// Every way a codex call can fail. Transport failures always map to one of these:
/// an untyped error would slip past retry policies.
enum class errc {
  // Configuration and input, detected before any I/O.
  invalid_url = 1,         ///< the base URL cannot be parsed
  unsupported_scheme,      ///< a scheme other than https (refused before any socket)
  invalid_argument,        ///< a caller-supplied value is out of range or malformed
  limit_exceeded,          ///< a client-side limit (batch size, title length, ...) would be broken

  // Transport.
  resolve_failed,          ///< the host name did not resolve
  connect_failed,          ///< TCP connect refused or unreachable
  tls_handshake_failed,    ///< TLS negotiation failed for a reason other than the certificate
  certificate_rejected,    ///< the peer's chain does not verify against the trusted CAs
  host_name_mismatch,      ///< the certificate is valid but not for this host name or IP
  connection_closed,       ///< the peer closed the connection before the response was complete
  connection_reset,        ///< the peer reset the connection
  timeout,                 ///< the request's deadline passed
  cancelled,               ///< the operation was cancelled by the caller
  protocol_error,          ///< the peer sent something that is not valid HTTP/1.1
  response_too_large,      ///< the response body or header exceeds the configured limit
  io_error,                ///< any other socket-level failure

  // HTTP statuses, as the contract maps them.
  bad_request,             ///< 400
  unauthenticated,         ///< 401
  permission_denied,       ///< 403
  not_found,               ///< 404
  conflict,                ///< 409
  payload_too_large,       ///< 413
  unprocessable,           ///< 422
  rate_limited,            ///< 429
  server_error,            ///< 5xx
  unexpected_status,       ///< any other non-2xx status

  // Authentication and pacing.
  credentials_rejected,    ///< the token endpoint refused the client credentials (invalid_client), or Redis the limiter's password
  token_unavailable,       ///< a token could not be obtained for a transient reason
  deadline_too_short,      ///< a wait (limiter, Retry-After) would end after the call's deadline
  retry_budget_exhausted,  ///< the client's retry budget is spent: failing fast

  // Decoding.
  decode_error,            ///< a response body is malformed, truncated or lacks a field
  invalid_utf8,            ///< a string to be encoded is not valid UTF-8
  cursor_repeated,         ///< a list's next_cursor names a page already read: following it would never end

  // Ingest jobs.
  journal_damaged,         ///< an ingest journal is missing, empty or unreadable where a job needs it
  job_locked,              ///< another process holds the job's journal (one job, one process)
  file_error,              ///< a local file (journal, rejects file) could not be read or written

  // Proxies and client certificates (appended: the values above keep their numbers).
  proxy_unreachable,       ///< the HTTP proxy did not resolve or refused the TCP connection
  proxy_auth_required,     ///< the proxy answered CONNECT with 407: proxy credentials missing or refused
  proxy_refused,           ///< the proxy answered CONNECT with another non-2xx status (403, 502, ...)
  client_certificate_rejected,  ///< the server required a client certificate and none was sent, or refused the one sent

  // Build features.
  not_supported,           ///< a feature this build of codex-cpp lacks (the Redis limiter, built with -Dredis=disabled)
};

/// The category of codex::errc. Thread-safe (a function-local static).
const std::error_category& category() noexcept;

/// Makes a std::error_code from a codex::errc; found by ADL.
std::error_code make_error_code(errc e) noexcept;

/// Maps an HTTP status to the contract's errc (2xx → success).
errc errc_from_status(int status) noexcept;

/// Everything known about a failure. Never holds a secret: messages that may carry
/// caller data pass through the log scrubber before they are stored here.
struct error_info {
  std::error_code code;              ///< what failed, as a codex::errc: compare with `code == codex::errc::not_found`
  int http_status = 0;               ///< 0 when no response was received
  std::string service_code;          ///< the service's "error" field, e.g. "invalid_token"
  std::string message;               ///< for people
  std::string request_id;            ///< X-Request-Id of the failed response, if any
  std::optional<std::chrono::milliseconds> retry_after;  ///< from Retry-After, if sent

  /// A one-line description: code, status, service code, message, request id.
  std::string describe() const;
};

/// The exception the awaitable API throws. Derives from std::system_error, so
/// `e.code() == codex::errc::not_found` works.
class error : public std::system_error {
 public:
  /// An exception carrying `info`; code() is info.code. May throw std::bad_alloc.
  explicit error(error_info info);
  /// Everything known about the failure.
  const error_info& info() const noexcept { return info_; }
  /// info().http_status: 0 when no response was received.
  int http_status() const noexcept { return info_.http_status; }
  /// info().request_id: the failed response's X-Request-Id, empty if none.
  const std::string& request_id() const noexcept { return info_.request_id; }
  /// info().describe(), without std::system_error's repeated ": <code message>" suffix.
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  error_info info_;
  std::string what_;
};

}  // namespace codex

template <>
struct std::is_error_code_enum<codex::errc> : std::true_type {};
