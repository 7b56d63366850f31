#pragma once
// The client TLS context: trust store, TLS 1.2+, per-connection SNI and host name
// verification, the handshake-failure classification, and session resumption.

#include <codex/error.hpp>
#include <codex/net/tls_options.hpp>

#include <asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <system_error>

using SSL = struct ssl_st;
using SSL_SESSION = struct ssl_session_st;

namespace codex::net {

/// Owns the asio::ssl::context shared by every connection of one transport.
/// Thread-safe: configured once at construction; the session slot has its own lock.
class tls_context {
 public:
  /// Throws codex::error (invalid_argument) when a CA file or directory cannot be
  /// loaded, or the client certificate or key cannot (unreadable, not PEM, a wrong or
  /// missing passphrase, a key that is not the certificate's): the message names the file.
  explicit tls_context(const tls_options& options);

  asio::ssl::context& native() noexcept { return context_; }

  /// Sets SNI (DNS names only; RFC 6066 forbids IP literals), the expected host name
  /// or IP for verification, and a cached session to resume, on a new connection.
  /// Returns a typed error when OpenSSL refuses the settings.
  std::error_code prepare(SSL* ssl, const std::string& host, bool host_is_ip);

  /// Classifies a failed handshake (`ec`: its error) from the verification result
  /// OpenSSL recorded, and the alert the server sent: client_certificate_rejected when
  /// it wanted a client certificate or refused ours.
  static errc classify_handshake_failure(SSL* ssl, const std::error_code& ec) noexcept;

  /// Whether `ec` is the alert of a server that wanted a client certificate or refused
  /// ours. With TLS 1.3 it arrives after the client's side of the handshake is done,
  /// with the first read.
  static bool is_client_certificate_alert(const std::error_code& ec) noexcept;

  /// Keeps the connection's session for the next connection to this origin, if
  /// resumable (TLS 1.3 tickets arrive with the first read, so call after one).
  void remember_session(SSL* ssl);

 private:
  asio::ssl::context context_;
  bool verify_peer_;
  std::mutex session_mutex_;
  std::shared_ptr<SSL_SESSION> session_;
};

}  // namespace codex::net
