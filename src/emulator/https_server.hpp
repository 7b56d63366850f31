#pragma once
// A small HTTPS/1.1 server on its own threads: the emulator's and the tests' server.
//
// It accepts TLS connections, parses requests with the shared codec, hands each to a
// synchronous handler and writes what the handler planned — including faults (delay,
// stall, cut the response after N bytes with FIN or RST) so that tests can script
// every failure a client must survive.

#include "emulator/http_server_codec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace codex::emulator {

class step_fault_switch;  // emulator/faults.hpp

/// What to send back, and how to misbehave while doing it.
struct response_plan {
  int status = 200;
  net::header_list headers;      ///< X-Request-Id is added when absent
  std::string body;
  bool close = false;            ///< send "Connection: close" and close after the response

  // Faults, for tests and the emulator's fault injection.
  std::chrono::milliseconds delay{0};  ///< wait this long before sending anything
  bool stall = false;                  ///< never answer; hold the connection until the client leaves or the server stops
  std::optional<std::size_t> cut_after;  ///< send only this many bytes of the serialized response, then close
  bool reset = false;                  ///< with cut_after (or alone): close with RST (SO_LINGER 0) instead of FIN
};

/// Where a request came from.
struct request_context {
  std::string remote_address;          ///< e.g. "127.0.0.1"
  std::uint64_t connection_id = 0;     ///< 1, 2, ... in the order connections were admitted
  std::uint64_t request_on_connection = 0;  ///< 1 for the first request of a connection
};

/// Called for every well-formed request, possibly concurrently from several server
/// threads (so it must be thread-safe). Must not block for long: faults that wait are
/// expressed in the plan, and the server waits asynchronously.
using request_handler = std::function<response_plan(net::codec::server_request& request,
                                                    const request_context& context)>;

/// The server's certificate chain and key, PEM; and whom it asks for a certificate.
struct tls_identity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
  /// Non-empty: mutual TLS. The handshake requires a client certificate that verifies
  /// against these CA certificates (PEM, one or more); a client without one, or with
  /// one from another CA, is refused with a TLS alert (and counted in handshake_failures).
  std::string client_ca_pem;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                          ///< 0: an ephemeral port
  std::size_t threads = 1;                         ///< event-loop threads
  /// Over max_body: 413 without reading the body; a head over max_header: 431.
  net::codec::request_reader::limits limits{};
  /// Any one read: a keep-alive connection idle this long is closed (politely); a
  /// request half received is answered 408.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  /// A request head not complete this long after its first byte is answered 408 and
  /// the connection closed, however often bytes trickle in. The wait for that first
  /// byte is idle_timeout's (when it came with the previous request, the clock starts
  /// at the end of the previous response).
  std::chrono::milliseconds head_timeout = std::chrono::seconds(10);
  /// A body not complete this long after its head (or after the 100 Continue the head
  /// asked for) is answered 408, and the connection closed. A total rather than a
  /// minimum rate: simpler to reason about, and 60 s carries max_body (8 MiB by default)
  /// at 140 KB/s, far below what a loopback or LAN client sends.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(5);   ///< stop(): how long in-flight requests may take
  std::size_t max_connections = 4096;              ///< beyond it, new connections are closed at once
  /// Beyond it, a new connection from an address that already holds this many is
  /// closed at once (no TLS, no response): one client cannot take every slot.
  std::size_t max_connections_per_address = 256;
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);  ///< a TLS handshake not done by then is dropped
  /// "Fail the Nth step": asked at every accept, handshake, read and write of a
  /// connection accepted after it was armed, and obeyed. Null: never asked.
  std::shared_ptr<step_fault_switch> step_faults;
};

/// Counters; a snapshot.
struct server_stats {
  std::uint64_t accepts = 0;
  std::uint64_t requests = 0;
  std::uint64_t handshake_failures = 0;
  std::uint64_t bad_requests = 0;       ///< malformed HTTP answered with 400
  std::uint64_t too_large = 0;          ///< bodies over the limit answered with 413
  std::uint64_t head_too_large = 0;     ///< heads over the limit answered with 431
  std::uint64_t head_timeouts = 0;      ///< heads not received in time (head_timeout or idle_timeout): 408
  std::uint64_t body_timeouts = 0;      ///< bodies not received in time (body_timeout or idle_timeout): 408
  std::uint64_t refused_full = 0;       ///< connections closed at accept: max_connections reached
  std::uint64_t refused_per_address = 0;  ///< connections closed at accept: their address held max_connections_per_address
  std::uint64_t open_connections = 0;   ///< connections being served at the time of the snapshot
};

/// Thread-safety: every member may be called from any thread.
class https_server {
 public:
  https_server(server_options options, tls_identity identity, request_handler handler);
  ~https_server();  ///< stop()s
  https_server(const https_server&) = delete;
  https_server& operator=(const https_server&) = delete;

  /// Binds, listens and starts the threads. Throws std::system_error if it cannot bind.
  void start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Stops accepting, lets in-flight requests finish (at most drain_timeout), closes
  /// every connection and joins the threads. Idempotent.
  void stop();
  server_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace codex::emulator
