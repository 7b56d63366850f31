#pragma once
// Reading a JWT's payload without verifying it: the client only needs `exp` to
// schedule a refresh (the contract: "clients do not need to verify the signature").

#include <codex/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::auth {

/// The claims the SDK reads from an access token.
struct jwt_claims {
  std::optional<std::int64_t> exp;   ///< NumericDate (Unix seconds; a fraction is truncated)
  std::optional<std::string> sub;    ///< subject (the client_id for the contract's tokens)
  std::optional<std::string> scope;  ///< space-separated scopes (an array of strings is joined with spaces)
};

/// Reads `exp`, `sub` and `scope` from the payload of a compact JWS
/// ("header.payload.signature"); the signature is not checked. The payload is read
/// with simdjson On-Demand, like every JSON the SDK reads; other members are skipped.
/// Errors: errc::decode_error for anything that is not three segments, valid
/// base64url, and a JSON object with claims of the right types. Thread-safe (pure).
result<jwt_claims> read_jwt_claims(std::string_view token);

}  // namespace codex::auth
