#pragma once
// How the SDK trusts servers, and the certificate it shows them when they ask for one
// (mutual TLS). Verification is on unless explicitly turned off.

#include <codex/auth/secret.hpp>

#include <string>

namespace codex::net {

/// TLS settings. TLS 1.2 is the minimum; SNI and host name verification
/// (DNS and IP subject alternative names) are always on while verify_peer is.
struct tls_options {
  /// Verify the peer's chain and host name. Turning this off is for debugging only.
  bool verify_peer = true;
  /// A PEM bundle of trusted CAs (e.g. the emulator's ca.pem). Empty: not used.
  std::string ca_file;
  /// A directory of hashed CA certificates (c_rehash layout). Empty: not used.
  std::string ca_directory;
  /// Also trust the system store; defaults to true only when no CA file or
  /// directory is given (see effective_use_system_store()).
  bool use_system_store = false;

  /// The client certificate (mutual TLS): a PEM file with the certificate first, then
  /// any intermediates. Empty: none is sent. Used for every request of the client,
  /// the token fetch included.
  std::string client_certificate_file;
  /// The certificate's private key, PEM (PKCS#8 or traditional; encrypted or not).
  /// Empty: the key is read from client_certificate_file.
  std::string client_key_file;
  /// The key's passphrase, when it is encrypted.
  auth::secret client_key_passphrase;

  /// Whether the system store is trusted: use_system_store, or no CA file and no CA
  /// directory given.
  bool effective_use_system_store() const noexcept {
    return use_system_store || (ca_file.empty() && ca_directory.empty());
  }
};

}  // namespace codex::net
