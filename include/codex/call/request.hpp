#pragma once
// codex::api_request — a request on the raw call path (client::execute), as the typed
// resources build them.

#include <codex/net/http_message.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace codex {

/// A request on the raw call path; the typed resources build these.
struct api_request {
  net::http_method method = net::http_method::get;  ///< the HTTP method; default GET
  std::string path;    ///< relative to the base URL, e.g. "/documents/doc_1" (percent-encoded)
  std::string query;   ///< already encoded ("limit=5&cursor=c1"), or empty
  std::string body;    ///< JSON, or empty
  net::header_list headers;  ///< e.g. If-Match; never credentials
  /// For a POST: make it replay-safe with an Idempotency-Key — this one, or one the
  /// SDK creates when `idempotent` is set — kept across every attempt of the call.
  std::optional<std::string> idempotency_key;
  /// For a POST without `idempotency_key`: create a random Idempotency-Key for the call
  /// (see above), which makes the call replay-safe and so retryable after a failure
  /// that may have reached the server. Ignored for other methods. Default: false.
  bool idempotent = false;
  /// This call's deadline; default: config::timeout from now.
  std::optional<std::chrono::milliseconds> timeout;
};

}  // namespace codex
