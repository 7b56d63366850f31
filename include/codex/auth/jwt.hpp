#pragma once
// Reading a JWT's payload without verifying it: the client only needs `exp` to
// schedule a refresh (the contract: "clients do not need to verify the signature").

#include <codex/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::auth {

/// Decodes base64url (RFC 4648 §5), with or without '=' padding. Errors:
/// errc::decode_error for a character outside the alphabet (including '+' and '/'),
/// misplaced padding, or an impossible length. Thread-safe (pure).
result<std::string> base64url_decode(std::string_view text);

/// Encodes base64url without padding. Thread-safe (pure).
std::string base64url_encode(std::string_view bytes);

/// The claims the SDK reads from an access token.
struct jwt_claims {
  std::optional<std::int64_t> exp;   ///< NumericDate (Unix seconds; a fraction is truncated)
  std::optional<std::string> sub;    ///< subject (the client_id for the contract's tokens)
  std::optional<std::string> scope;  ///< space-separated scopes (an array of strings is joined with spaces)
};

/// Reads `exp`, `sub` and `scope` from the payload of a compact JWS
/// ("header.payload.signature"); the signature is not checked. The payload is parsed
/// by a small strict JSON reader that walks the top-level object and skips other
/// members (nested up to 64 levels) — enough for claims, not a general JSON parser:
/// the SDK's JSON layer (simdjson) is kept out of auth on purpose. Errors:
/// errc::decode_error for anything that is not three segments, valid base64url, and
/// a JSON object with claims of the right types. Thread-safe (pure).
result<jwt_claims> read_jwt_claims(std::string_view token);

}  // namespace codex::auth
