#pragma once
// codex::client — the SDK's entry point: one call path (retry → auth → limiter →
// transport) per client, shared limiters and tokens per credential.

#include <codex/api/account.hpp>
#include <codex/api/async.hpp>
#include <codex/api/documents.hpp>
#include <codex/call/request.hpp>
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

namespace call {
class session;
session& session_of(client& api) noexcept;
}  // namespace call

/// The Bearer token a client with client credentials sends, for handing on to code
/// that calls the service without the SDK.
struct access_token {
  secret value;  ///< the token itself: never printed; reveal() to hand it on
  /// When the SDK stops sending it (its lifetime less the margin, see
  /// token_cache_options): a holder should ask again before then.
  std::chrono::system_clock::time_point usable_until;
};

/// A client of the Codex API.
///
/// Thread-safety: every member may be called concurrently, from any thread running the
/// executor's context. Clients of the same credential in one process share one rate
/// limiter and (for client credentials) one token cache.
/// The executor must belong to an asio::io_context (`io.get_executor()`, or a strand
/// over it: a coroutine on a strand is back on it whenever a call returns).
///
/// Errors: the constructor throws codex::error for an unusable configuration (an
/// executor of another kind of execution context, a base URL that is not https, an unreadable CA file, an API key or access token holding a
/// control character: errc::invalid_argument); calls never throw — they return
/// codex::result, whose value() throws codex::error.
class client {
 public:
  /// A client running its I/O on `executor`, with `configuration`. Opens no
  /// connection to the service (the first call does; a Redis limiter starts connecting
  /// to Redis at once). Throws codex::error for an unusable configuration (see above),
  /// and errc::invalid_argument for an invalid config::rate_limit.
  client(asio::any_io_executor executor, config configuration);
  /// Destroys the client. It must outlive every call made through it, its documents()
  /// handles and their streams.
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends a request through the whole call path. A 2xx response is returned as is;
  /// any other outcome is an error_info with the HTTP status, the service's error code
  /// and message, the X-Request-Id and Retry-After.
  asio::awaitable<result<net::http_response>> execute(api_request request);

  /// The configuration the client was made with (as given; never changes).
  const config& configuration() const noexcept;
  /// A snapshot of the connection pool's counters (connections opened, TLS sessions
  /// resumed, requests sent, stale-connection resends).
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
  /// As try_account(), but returns the account and throws codex::error on failure.
  asio::awaitable<codex::account> account();
  /// As account(), with any completion token: signature void(std::exception_ptr, codex::account).
  template <completion_token_for_call<codex::account> Token>
  auto account(Token&& token) {
    return async_call(get_executor(), account(), std::forward<Token>(token));
  }

  /// The access token this client sends (client credentials only): the current one of
  /// the cache every client of the same credentials in the process shares, or — when
  /// none is still good — the outcome of the one refresh in flight (POST /auth/token,
  /// started if need be, through this client's limiter, proxy and TLS settings), waited
  /// for within config::timeout. Errors: invalid_argument (the client has an API key,
  /// a fixed token or no credentials), credentials_rejected, token_unavailable, timeout,
  /// cancelled.
  asio::awaitable<result<codex::access_token>> try_access_token();
  /// As try_access_token(), but returns the token and throws codex::error on failure.
  asio::awaitable<codex::access_token> access_token();

  /// GET /schema (no authentication needed): the service's JSON description of its
  /// endpoints, as the raw JSON text. Errors: transport and service errors.
  asio::awaitable<result<std::string>> try_schema();
  /// As try_schema(), but returns the JSON text and throws codex::error on failure.
  asio::awaitable<std::string> schema();
  /// As schema(), with any completion token: signature void(std::exception_ptr, std::string).
  template <completion_token_for_call<std::string> Token>
  auto schema(Token&& token) {
    return async_call(get_executor(), schema(), std::forward<Token>(token));
  }

 private:
  friend call::session& call::session_of(client& api) noexcept;  // the typed resources' way in
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace codex
