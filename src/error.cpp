#include <codex/error.hpp>

namespace codex {
namespace {

class codex_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "codex"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_url: return "invalid URL";
      case errc::unsupported_scheme: return "unsupported URL scheme (only https is allowed)";
      case errc::invalid_argument: return "invalid argument";
      case errc::limit_exceeded: return "client-side limit exceeded";
      case errc::resolve_failed: return "host name did not resolve";
      case errc::connect_failed: return "connection failed";
      case errc::tls_handshake_failed: return "TLS handshake failed";
      case errc::certificate_rejected: return "server certificate not trusted";
      case errc::host_name_mismatch: return "server certificate does not match the host name";
      case errc::connection_closed: return "connection closed by peer";
      case errc::connection_reset: return "connection reset by peer";
      case errc::timeout: return "deadline exceeded";
      case errc::cancelled: return "operation cancelled";
      case errc::protocol_error: return "malformed HTTP response";
      case errc::response_too_large: return "response exceeds the size limit";
      case errc::io_error: return "I/O error";
      case errc::bad_request: return "bad request";
      case errc::unauthenticated: return "unauthenticated";
      case errc::permission_denied: return "permission denied";
      case errc::not_found: return "not found";
      case errc::conflict: return "conflict";
      case errc::payload_too_large: return "payload too large";
      case errc::unprocessable: return "unprocessable entity";
      case errc::rate_limited: return "rate limited";
      case errc::server_error: return "server error";
      case errc::unexpected_status: return "unexpected HTTP status";
      case errc::credentials_rejected: return "credentials rejected";
      case errc::token_unavailable: return "access token unavailable";
      case errc::deadline_too_short: return "wait would exceed the deadline";
      case errc::retry_budget_exhausted: return "retry budget exhausted";
      case errc::decode_error: return "malformed response body";
      case errc::invalid_utf8: return "invalid UTF-8";
      case errc::cursor_repeated: return "the server repeated a page cursor";
      case errc::journal_damaged: return "ingest journal missing or damaged";
      case errc::job_locked: return "the ingest job is running in another process";
      case errc::file_error: return "file I/O error";
      case errc::proxy_unreachable: return "proxy unreachable";
      case errc::proxy_auth_required: return "proxy authentication required";
      case errc::proxy_refused: return "proxy refused the tunnel";
      case errc::client_certificate_rejected: return "client certificate missing or rejected by the server";
      case errc::not_supported: return "not supported by this build of codex-cpp";
    }
    return "unknown codex error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const codex_category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

errc errc_from_status(int status) noexcept {
  switch (status) {
    case 400: return errc::bad_request;
    case 401: return errc::unauthenticated;
    case 403: return errc::permission_denied;
    case 404: return errc::not_found;
    case 409: return errc::conflict;
    case 413: return errc::payload_too_large;
    case 422: return errc::unprocessable;
    case 429: return errc::rate_limited;
    default: return status >= 500 && status <= 599 ? errc::server_error : errc::unexpected_status;
  }
}

std::string error_info::describe() const {
  std::string out = code.message();
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!service_code.empty()) out += " [" + service_code + "]";
  if (!message.empty()) out += ": " + message;
  if (!request_id.empty()) out += " (request id " + request_id + ")";
  return out;
}

error::error(error_info info)
    : std::system_error(info.code), info_(std::move(info)), what_(info_.describe()) {}

}  // namespace codex
