// The JWT payload reader (src/auth/jwt.cpp): `exp`, `sub` and `scope` of an access token
// a token endpoint handed out, read without verifying it.
// The input is tried twice: as a whole token, and as the JSON of a payload wrapped into
// one (so that the fuzzer reaches the JSON reader without having to learn base64url).
// Invariant: claims that read, written into a new token, read back equal.

#include <codex/auth/jwt.hpp>

#include <codex/json/writer.hpp>

#include "auth/base64.hpp"

#include "support.hpp"

namespace {

using namespace codex;

constexpr std::string_view header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";  // {"alg":"RS256","typ":"JWT"}

std::string token_with_payload(std::string_view json) { return std::string(header) + "." + auth::base64url_encode(json) + ".c2ln"; }

void check_round_trip(const auth::jwt_claims& claims) {
  std::string json;
  json::writer w(json);
  w.begin_object();
  if (claims.exp) w.key("exp").int64(*claims.exp);
  if (claims.sub) w.key("sub").string(*claims.sub);
  if (claims.scope) w.key("scope").string(*claims.scope);
  w.end_object();
  FUZZ_CHECK(w.complete());
  const auto again = auth::read_jwt_claims(token_with_payload(json));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->exp == claims.exp && again->sub == claims.sub && again->scope == claims.scope);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  if (const auto claims = auth::read_jwt_claims(input)) check_round_trip(*claims);
  if (const auto claims = auth::read_jwt_claims(token_with_payload(input))) check_round_trip(*claims);
  return 0;
}
