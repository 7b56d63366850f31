#pragma once
// How the SDK trusts servers. Verification is on unless explicitly turned off.

#include <string>

namespace codex::net {

/// TLS trust settings. TLS 1.2 is the minimum; SNI and host name verification
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

  bool effective_use_system_store() const noexcept {
    return use_system_store || (ca_file.empty() && ca_directory.empty());
  }
};

}  // namespace codex::net
