// RS256 tokens: sign, verify, tampering, expiry, JWKS.

#include "auth/base64.hpp"
#include "emulator/jwt.hpp"

#include <catch2/catch.hpp>
#include <simdjson.h>

using namespace codex::emulator;
using codex::auth::base64url_decode;
using codex::auth::base64url_encode;

namespace {

const jwt_signer& shared_signer() {
  static const jwt_signer signer;  // RSA key generation is slow: one key for the file
  return signer;
}

jwt_claims sample_claims() {
  return {.iss = "codex-emulator", .sub = "cid_1", .aud = "codex-api", .iat = 1000, .exp = 4600,
          .scope = "read write", .project = "prj_1", .jti = "j1", .gen = 7};
}

std::vector<std::string> parts(const std::string& token) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    out.push_back(token.substr(start, dot - start));
  }
  out.push_back(token.substr(start));
  return out;
}

}  // namespace

TEST_CASE("a signed token verifies and keeps its claims", "[emulator][jwt]") {
  const auto& signer = shared_signer();
  const std::string token = signer.sign(sample_claims());
  const auto p = parts(token);
  REQUIRE(p.size() == 3);
  const auto header = base64url_decode(p[0]);
  REQUIRE(header);
  CHECK(*header == R"({"alg":"RS256","typ":"JWT","kid":")" + signer.kid() + R"("})");
  CHECK(base64url_decode(p[2])->size() == 256);  // RSA-2048

  const auto claims = signer.verify(token);
  REQUIRE(claims);
  CHECK(claims->iss == "codex-emulator");
  CHECK(claims->sub == "cid_1");
  CHECK(claims->aud == "codex-api");
  CHECK(claims->iat == 1000);
  CHECK(claims->exp == 4600);
  CHECK(claims->scope == "read write");
  CHECK(claims->project == "prj_1");
  CHECK(claims->jti == "j1");
  CHECK(claims->gen == 7);
}

TEST_CASE("tampered or foreign tokens are refused", "[emulator][jwt]") {
  const auto& signer = shared_signer();
  const std::string token = signer.sign(sample_claims());
  const auto p = parts(token);

  jwt_claims other = sample_claims();
  other.scope = "read write admin";
  const std::string forged_payload = base64url_encode(R"({"sub":"cid_1","exp":99999999999,"scope":"write"})");
  CHECK_FALSE(signer.verify(p[0] + "." + forged_payload + "." + p[2]));
  CHECK_FALSE(signer.verify(p[0] + "." + p[1] + "." + p[2].substr(0, p[2].size() - 4) + "AAAA"));
  CHECK_FALSE(signer.verify(p[0] + "." + p[1]));
  CHECK_FALSE(signer.verify(token + ".x"));
  CHECK_FALSE(signer.verify(""));
  CHECK_FALSE(signer.verify("a.b.c"));
  const std::string none_header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  CHECK_FALSE(signer.verify(none_header + "." + p[1] + "."));
  CHECK_FALSE(signer.verify(none_header + "." + p[1] + "." + p[2]));

  const jwt_signer stranger;  // another key (and kid)
  CHECK_FALSE(stranger.verify(token));
  CHECK(stranger.verify(stranger.sign(other)));
}

TEST_CASE("token times", "[emulator][jwt]") {
  const jwt_claims c = sample_claims();  // iat 1000, exp 4600
  CHECK(check_token_times(c, 1000) == token_time_check::valid);
  CHECK(check_token_times(c, 4599) == token_time_check::valid);
  CHECK(check_token_times(c, 4600) == token_time_check::expired);
  CHECK(check_token_times(c, 999999) == token_time_check::expired);
  CHECK(check_token_times(c, 900) == token_time_check::not_yet_valid);
  CHECK(check_token_times(c, 940) == token_time_check::valid);  // within the 60 s leeway
}

TEST_CASE("the JWKS publishes the key", "[emulator][jwt]") {
  const auto& signer = shared_signer();
  simdjson::ondemand::parser parser;
  simdjson::padded_string json(signer.jwks_json());
  auto doc = parser.iterate(json);
  auto key = doc["keys"].at(0);
  std::string_view v;
  REQUIRE(key["kty"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(v == "RSA");
  REQUIRE(key["use"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(v == "sig");
  REQUIRE(key["alg"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(v == "RS256");
  REQUIRE(key["kid"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(v == signer.kid());
  REQUIRE(key["n"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(base64url_decode(v)->size() == 256);
  REQUIRE(key["e"].get_string().get(v) == simdjson::SUCCESS);
  CHECK(v == "AQAB");
}
