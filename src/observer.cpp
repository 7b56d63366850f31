#include <codex/observer.hpp>

namespace codex {

std::string_view to_string(retry_reason reason) noexcept {
  switch (reason) {
    case retry_reason::rate_limited: return "rate_limited";
    case retry_reason::server_error: return "server_error";
    case retry_reason::request_timeout: return "request_timeout";
    case retry_reason::transport_failure: return "transport_failure";
    case retry_reason::token_rejected: return "token_rejected";
  }
  return "unknown";
}

}  // namespace codex
