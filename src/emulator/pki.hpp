#pragma once
// A throw-away PKI generated at run time: a self-signed CA and the leaf certificates
// it signs, so that the emulator and the tests serve real, verifiable TLS without any
// key or certificate ever being stored in the repository.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace codex::emulator::pki {

/// The names a leaf certificate is valid for (its subjectAltName entries).
struct subject_names {
  std::vector<std::string> dns;           ///< e.g. {"localhost"}
  std::vector<std::string> ip_addresses;  ///< e.g. {"127.0.0.1", "::1"}
};

/// A leaf certificate and its key, PEM.
struct leaf_credentials {
  std::string certificate_pem;  ///< the leaf alone
  std::string chain_pem;        ///< the leaf, then the CA that signed it
  std::string private_key_pem;  ///< PKCS#8, unencrypted
};

/// A certificate authority: an ECDSA P-256 key and its self-signed certificate
/// (basicConstraints CA:TRUE critical, keyUsage keyCertSign|cRLSign, key ids),
/// valid from a few days ago to a year ahead.
///
/// Thread-safety: issue() and certificate_pem() may be called concurrently (they only
/// read the CA's key and certificate). Errors: std::runtime_error naming the OpenSSL
/// step that failed — these run at start-up, where failing loudly is right.
class authority {
 public:
  /// Generates a fresh key and self-signed certificate with this common name.
  explicit authority(std::string_view common_name = "codex-emulator CA");
  ~authority();
  authority(authority&&) noexcept;
  authority& operator=(authority&&) noexcept;
  authority(const authority&) = delete;
  authority& operator=(const authority&) = delete;

  /// The CA certificate, PEM: what clients trust.
  const std::string& certificate_pem() const noexcept { return certificate_pem_; }

  /// Generates a key and a serverAuth leaf certificate signed by this CA for `names`
  /// (at least one name is required), with a random serial.
  leaf_credentials issue(std::string_view common_name, const subject_names& names) const;

  /// Generates a key and a clientAuth leaf certificate signed by this CA (mutual TLS:
  /// what a client presents), with a random serial.
  leaf_credentials issue_client(std::string_view common_name) const;

 private:
  struct state;
  std::unique_ptr<state> state_;
  std::string certificate_pem_;
};

/// The PEM private key `private_key_pem`, encrypted (PKCS#8, AES-256-CBC) with
/// `passphrase`: how a client key is often stored.
std::string encrypt_private_key(std::string_view private_key_pem, std::string_view passphrase);

/// Writes `contents` to `path` atomically with permission bits `mode` (0600 by
/// default: credentials): the data goes to a temporary file in the same directory,
/// is flushed to disk, then renamed over `path`, so readers see the old file or the
/// new one, never a partial one. Throws std::runtime_error on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           unsigned mode = 0600);

}  // namespace codex::emulator::pki
