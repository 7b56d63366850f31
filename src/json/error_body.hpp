#pragma once
// Decoding of the contract's error body: {"status": 401, "error": "...", "message": "..."}.

#include <string>
#include <string_view>

namespace codex::json {

struct error_body {
  std::string error;    ///< machine code, e.g. "invalid_token"; empty if absent
  std::string message;  ///< for people; empty if absent
};

/// Reads the error body of a non-2xx response. Never fails: a body that is not the
/// contract's shape (an HTML page from a proxy, a truncated body) yields empty fields,
/// because the HTTP status already carries the error. `body` must have
/// net::body_padding bytes of spare capacity past its end.
error_body decode_error_body(const std::string& body) noexcept;

}  // namespace codex::json
