#pragma once
// codex::client — the SDK's entry point: one call path (retry → auth → limiter →
// transport) per client, shared limiters and tokens per credential.

#include <codex/api/account.hpp>
#include <codex/api/async.hpp>
#include <codex/api/documents.hpp>
#include <codex/config.hpp>
#include <codex/net/http_message.hpp>
#include <codex/net/transport.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace codex {

namespace api::detail {
struct call_access;
}

/// A request on the raw call path; the typed resources build these.
struct api_request {
  net::http_method method = net::http_method::get;
  std::string path;    ///< relative to the base URL, e.g. "/documents/doc_1" (percent-encoded)
  std::string query;   ///< already encoded ("limit=5&cursor=c1"), or empty
  std::string body;    ///< JSON, or empty
  net::header_list headers;  ///< e.g. If-Match; never credentials
  /// For a POST: make it replay-safe with an Idempotency-Key — this one, or one the
  /// SDK creates when `idempotent` is set — kept across every attempt of the call.
  std::optional<std::string> idempotency_key;
  bool idempotent = false;
  /// This call's deadline; default: config::timeout from now.
  std::optional<std::chrono::milliseconds> timeout;
};

/// A client of the Codex API.
///
/// Thread-safety: every member may be called concurrently, from any thread running the
/// executor's context. Clients of the same credential in one process share one rate
/// limiter and (for client credentials) one token cache.
/// The executor must belong to an asio::io_context (`io.get_executor()`, or a strand
/// over it: a coroutine on a strand is back on it whenever a call returns).
/// Errors: the constructor throws codex::error for an unusable configuration (an
/// executor of another kind of execution context, a base URL that is not https, an unreadable CA file, an API key or access token holding a
/// control character: errc::invalid_argument); calls never throw — they return
/// codex::result, whose value() throws codex::error.
class client {
 public:
  client(asio::any_io_executor executor, config configuration);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends a request through the whole call path. A 2xx response is returned as is;
  /// any other outcome is an error_info with the HTTP status, the service's error code
  /// and message, the X-Request-Id and Retry-After.
  asio::awaitable<result<net::http_response>> execute(api_request request);

  const config& configuration() const noexcept;
  net::transport_stats transport_stats() const noexcept;

  /// The executor the client was made with; token-based calls run on it.
  asio::any_io_executor get_executor() const noexcept;

  /// The Document resource (a cheap handle; see codex::documents for the forms of its
  /// calls: try_X → result<T>, X → T or throws codex::error, X(…, token)).
  codex::documents documents() noexcept;

  /// GET /account: the project, credential and scopes behind this client's
  /// credentials — the way to check that they work. Errors: unauthenticated (bad or
  /// revoked credentials), decode_error, transport errors.
  asio::awaitable<result<codex::account>> try_account();
  asio::awaitable<codex::account> account();
  template <completion_token_for_call<codex::account> Token>
  auto account(Token&& token) {
    return async_call(get_executor(), account(), std::forward<Token>(token));
  }

  /// GET /schema (no authentication needed): the service's JSON description of its
  /// endpoints, as the raw JSON text. Errors: transport and service errors.
  asio::awaitable<result<std::string>> try_schema();
  asio::awaitable<std::string> schema();
  template <completion_token_for_call<std::string> Token>
  auto schema(Token&& token) {
    return async_call(get_executor(), schema(), std::forward<Token>(token));
  }

 private:
  friend struct api::detail::call_access;  // the typed calls: decoded in the call's own frame
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace codex
