#pragma once
// RS256 JSON Web Tokens (RFC 7519 / RFC 7515) signed with an RSA-2048 key generated
// at start, and the JWKS (RFC 7517) that publishes its public half.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace codex::emulator {

/// The claims the emulator puts in an access token.
struct jwt_claims {
  std::string iss;
  std::string sub;      ///< client_id
  std::string aud;
  std::int64_t iat = 0; ///< seconds since the epoch
  std::int64_t exp = 0;
  std::string scope;    ///< space-separated, e.g. "read write"
  std::string project;  ///< project id
  std::string jti;      ///< unique token id
  std::uint64_t gen = 0;///< the client's secret generation at issue (emulator-private: revocation)
};

/// Signs and verifies RS256 tokens with one key. Thread-safety: after construction
/// every member is const and may be called concurrently (each call uses its own
/// EVP_MD_CTX on the shared, read-only key).
class jwt_signer {
 public:
  /// Generates an RSA-2048 key. Throws std::runtime_error if OpenSSL fails.
  jwt_signer();
  ~jwt_signer();
  jwt_signer(const jwt_signer&) = delete;
  jwt_signer& operator=(const jwt_signer&) = delete;

  /// header.payload.signature, each part base64url. Throws std::runtime_error if
  /// signing fails (it does not with a valid key).
  std::string sign(const jwt_claims& claims) const;

  /// Checks the structure, the header (alg RS256, our kid) and the signature, and
  /// decodes the claims. Does not look at times or revocation: the caller does, with
  /// its own clock and state. nullopt on any failure.
  std::optional<jwt_claims> verify(std::string_view token) const;

  /// The key id: the RFC 7638 thumbprint of the public key, base64url.
  const std::string& kid() const noexcept { return kid_; }

  /// {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":...,"n":...,"e":...}]}
  const std::string& jwks_json() const noexcept { return jwks_; }

 private:
  struct key;
  std::unique_ptr<key> key_;
  std::string kid_;
  std::string jwks_;
  std::string header_b64_;  // the fixed, encoded header of every token
};

/// Why a token that verified cryptographically is still refused.
enum class token_time_check { valid, expired, not_yet_valid };

/// Compares `iat`/`exp` with `now_seconds`: expired when now >= exp; a token issued
/// more than `leeway` seconds in the future is not yet valid. Pure.
token_time_check check_token_times(const jwt_claims& claims, std::int64_t now_seconds,
                                   std::int64_t leeway = 60) noexcept;

}  // namespace codex::emulator
