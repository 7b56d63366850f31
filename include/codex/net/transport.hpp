#pragma once
// The HTTPS transport of one origin: a pool of keep-alive TLS connections.

#include <codex/net/http_message.hpp>
#include <codex/net/proxy_options.hpp>
#include <codex/net/tls_options.hpp>
#include <codex/net/url.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace codex::net {

struct sent_request;  // the SDK's own send (src/net/send_borrowed.hpp)

/// Tuning of the transport. Every field has a production default.
struct transport_options {
  /// Trust settings, and the client certificate.
  tls_options tls;
  /// An HTTP proxy to tunnel through (CONNECT), unless proxy.no_proxy names the origin.
  /// Default: none. config::from_env() fills it from https_proxy / no_proxy.
  proxy_options proxy;
  /// Connections open at once to the origin; callers beyond it wait for one (within their deadline).
  std::size_t max_connections = 64;
  /// An idle connection older than this is closed rather than reused.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  /// A connection is not reused once it is this old, however busy.
  std::chrono::milliseconds max_connection_age = std::chrono::minutes(5);
  /// Largest response body accepted; beyond it the call fails with response_too_large
  /// and the connection is dropped without reading the rest.
  std::size_t max_response_body = 64u << 20;
  /// Largest response header block accepted.
  std::size_t max_response_header = 64u << 10;
};

/// Counters, for tests and metrics. A snapshot; each is monotonic.
struct transport_stats {
  std::uint64_t connections_opened = 0; ///< connections the pool began to open (those that failed to connect included)
  std::uint64_t sessions_resumed = 0;   ///< TLS handshakes that resumed a cached session
  std::uint64_t requests_sent = 0;      ///< exchanges begun on a connection, resends included
  std::uint64_t stale_retries = 0;      ///< requests resent on a fresh connection after a reused one had been closed by the server
};

/// Sends requests to one origin over pooled keep-alive TLS connections.
///
/// The executor must belong to an asio::io_context (its own executor, or a strand over
/// it); the constructor throws codex::error (errc::invalid_argument) otherwise, and for
/// a client certificate or key that cannot be loaded (see tls_options), or
/// (errc::invalid_url, errc::unsupported_scheme) for a malformed proxy URL.
/// Thread-safety: send() may be called concurrently from any thread of the
/// executor's execution context; each connection's I/O runs on its own strand, and a
/// caller on a strand is back on it when send() returns.
/// Errors: send() never throws for I/O; every failure is a typed codex::errc
/// (timeout, certificate_rejected, host_name_mismatch, connection_reset,
/// client_certificate_rejected, proxy_unreachable, proxy_auth_required, proxy_refused,
/// ...; the proxy's errors name it and its status, never its credentials), and
/// invalid_argument — before any byte is sent — for a request whose target or header
/// fields HTTP forbids (a CR, LF, NUL or other control character in a value: see
/// is_valid_field_value).
class transport {
 public:
  /// The clock of send()'s deadline.
  using clock = std::chrono::steady_clock;

  /// A transport to `origin` (its host and port; path_prefix is the caller's to use in
  /// targets) that opens no connection until the first send(). Throws as said above.
  transport(asio::any_io_executor executor, url origin, transport_options options = {});
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Sends one request and reads its response, all before `deadline` (resolve,
  /// connect, handshake, write and read are covered). A non-2xx status is a
  /// successful exchange: the caller classifies it. An idempotent request — or any
  /// request with `retry_if_unsent` — that fails on a reused connection before any
  /// response byte arrives is sent once more on a fresh connection.
  /// Cancellation: the caller's cancellation slot ends the exchange (errc::cancelled).
  asio::awaitable<result<http_response>> send(http_request request, clock::time_point deadline,
                                              bool retry_if_unsent = false);

  /// The origin the transport was made for.
  const url& origin() const noexcept;
  /// A snapshot of the counters. Thread-safe.
  transport_stats stats() const noexcept;
  /// Closes idle connections; in-flight exchanges finish normally.
  void close_idle();

 private:
  // The SDK's call path sends without copying bodies (src/net/send_borrowed.hpp).
  friend asio::awaitable<sent_request> send_borrowed(transport& t, const http_request& request,
                                                     clock::time_point deadline, bool retry_if_unsent,
                                                     std::string_view preset_fields);
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace codex::net
