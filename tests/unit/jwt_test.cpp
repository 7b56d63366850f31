// codex::auth: base64url and a JWT's claims, read without verification.

#include "auth/base64.hpp"

#include <codex/auth/jwt.hpp>

#include <catch2/catch.hpp>

using codex::errc;
using codex::auth::base64url_decode;
using codex::auth::base64url_encode;
using codex::auth::read_jwt_claims;

namespace {

std::string make_jwt(const std::string& payload_json) {
  return base64url_encode(R"({"alg":"RS256","typ":"JWT","kid":"k1"})") + "." + base64url_encode(payload_json) +
         "." + base64url_encode("signature bytes");
}

}  // namespace

TEST_CASE("base64url round trips every length", "[jwt]") {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    const auto encoded = base64url_encode(bytes);
    CHECK(encoded.find_first_of("+/=") == std::string::npos);
    const auto decoded = base64url_decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
    bytes += static_cast<char>((i * 37) & 0xFF);
  }
}

TEST_CASE("base64url decoding: known vectors, padding optional", "[jwt]") {
  CHECK(base64url_decode("").value().empty());
  CHECK(base64url_decode("Zg").value() == "f");
  CHECK(base64url_decode("Zg==").value() == "f");
  CHECK(base64url_decode("Zm8").value() == "fo");
  CHECK(base64url_decode("Zm8=").value() == "fo");
  CHECK(base64url_decode("Zm9v").value() == "foo");
  CHECK(base64url_decode("_-8").value() == "\xff\xef");
  CHECK(base64url_encode("\xff\xef") == "_-8");
  CHECK_FALSE(base64url_decode("Zh"));  // non-zero unused bits: one encoding per byte string
}

TEST_CASE("base64url decoding refuses garbage", "[jwt]") {
  for (const char* bad : {"Z", "Zm9vY", "Zg=", "Zg===", "Z===", "=Zg", "Zg==Zg==", "Zm+v", "Zm/v", "Zm9v\n", "Zm 9v",
                          "Zm9v!"}) {
    INFO(bad);
    const auto r = base64url_decode(bad);
    CHECK_FALSE(r.has_value());
  }
}

TEST_CASE("the contract's claims are read", "[jwt]") {
  const auto token = make_jwt(
      R"({"iss":"https://127.0.0.1/v1","sub":"cid_abc","aud":"codex","iat":1700000000,"exp":1700003600,)"
      R"("scope":"read write","project":"prj_1"})");
  const auto claims = read_jwt_claims(token);
  REQUIRE(claims.has_value());
  CHECK(claims->exp == 1700003600);
  CHECK(claims->sub == "cid_abc");
  CHECK(claims->scope == "read write");
}

TEST_CASE("claims: absent, nested, escaped, arrays, fractions", "[jwt]") {
  SECTION("absent claims are absent") {
    const auto c = read_jwt_claims(make_jwt("{}")).value();
    CHECK_FALSE(c.exp.has_value());
    CHECK_FALSE(c.sub.has_value());
    CHECK_FALSE(c.scope.has_value());
  }
  SECTION("other members of any shape are skipped") {
    const auto c = read_jwt_claims(make_jwt(
        R"( { "a" : {"exp": 1, "b": [1, 2.5e3, -0, true, false, null, {"c": "}"}]}, "d": "\"exp\":2", "exp" : 42 } )"))
                       .value();
    CHECK(c.exp == 42);
  }
  SECTION("escapes in strings") {
    const auto c = read_jwt_claims(make_jwt(R"({"sub":"a\"b\\c\/d\u00e9\ud83d\ude00"})")).value();
    CHECK(c.sub == "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80");
  }
  SECTION("a scope array is joined") {
    CHECK(read_jwt_claims(make_jwt(R"({"scope":["read","write"]})")).value().scope == "read write");
    CHECK(read_jwt_claims(make_jwt(R"({"scope":[]})")).value().scope == "");
  }
  SECTION("a fractional NumericDate is truncated") {
    CHECK(read_jwt_claims(make_jwt(R"({"exp":1700000000.75})")).value().exp == 1700000000);
    CHECK(read_jwt_claims(make_jwt(R"({"exp":1.7e9})")).value().exp == 1700000000);
  }
  SECTION("a padded payload segment is accepted") {
    std::string padded = base64url_encode(R"({"exp":5})");
    while (padded.size() % 4) padded += '=';
    CHECK(read_jwt_claims("eyJhbGciOiJub25lIn0." + padded + ".").value().exp == 5);
  }
}

TEST_CASE("garbage tokens are decode_error", "[jwt]") {
  const std::string good_header = base64url_encode(R"({"alg":"RS256"})");
  const char* bad_payloads[] = {
      "",          "[]",         "null",            "{",                "{\"exp\":}",       "{\"exp\":\"1\"}",
      "{\"exp\":1,}", "{\"sub\":1}", "{\"exp\":01}",  "{\"exp\":1} x",    "{\"a\":tru}",      "{\"a\":\"\x01\"}",
      "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"exp\":1e999}",  "{'exp':1}",
      "{\"exp\":-}", "{\"scope\":[1]}", "{\"a\":[1 2]}", "{\"a\" 1}"};
  for (const char* payload : bad_payloads) {
    INFO(payload);
    const auto r = read_jwt_claims(good_header + "." + base64url_encode(payload) + ".sig");
    CHECK_FALSE(r.has_value());
  }
  for (const std::string& token : {std::string("not a jwt"), std::string("a.b"), std::string("a.b.c.d"),
                                  good_header + ".!!!.sig", std::string("..")}) {
    INFO(token);
    CHECK(read_jwt_claims(token).code() == errc::decode_error);
  }
  // Nesting deeper than 64 levels is refused rather than recursed into.
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  CHECK(read_jwt_claims(good_header + "." + base64url_encode(deep) + ".s").code() == errc::decode_error);
  std::string ok = "{\"a\":" + std::string(30, '[') + std::string(30, ']') + ",\"exp\":7}";
  CHECK(read_jwt_claims(good_header + "." + base64url_encode(ok) + ".s").value().exp == 7);
}
