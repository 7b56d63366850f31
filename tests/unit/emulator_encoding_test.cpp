// base64 / base64url (the SDK's, which the emulator uses), cursors, timestamps, router and query parsing of the emulator.

#include "auth/base64.hpp"
#include "emulator/document_store.hpp"
#include "emulator/json_input.hpp"
#include "emulator/router.hpp"
#include "emulator/time_format.hpp"

#include <catch2/catch.hpp>

using namespace codex::emulator;
using namespace codex::auth;
using codex::net::http_method;

TEST_CASE("base64url round trip and RFC 4648 vectors", "[emulator][encoding]") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\x00\x01\x02\xff"}) {
    CHECK(base64url_decode(base64url_encode(s)) == s);
    CHECK(base64_decode(base64_encode(s)) == s);
  }
  CHECK(base64url_decode("Zg==") == "f");  // padding tolerated
  CHECK_FALSE(base64url_decode("Z"));      // impossible length
  CHECK_FALSE(base64url_decode("Zh"));     // non-zero leftover bits
  CHECK_FALSE(base64url_decode("a+b/"));   // standard alphabet
  CHECK_FALSE(base64_decode("Zg"));        // base64 needs padding
  CHECK(base64_decode("Y2R4X2FiYzo=") == "cdx_abc:");
}

TEST_CASE("cursors are opaque and checked", "[emulator][encoding]") {
  CHECK(decode_cursor(encode_cursor(0)) == 0u);
  CHECK(decode_cursor(encode_cursor(123456789)) == 123456789u);
  CHECK_FALSE(decode_cursor(""));
  CHECK_FALSE(decode_cursor("garbage!"));
  CHECK_FALSE(decode_cursor(base64url_encode("v1:")));
  CHECK_FALSE(decode_cursor(base64url_encode("v1:12x")));
  CHECK_FALSE(decode_cursor(base64url_encode("v2:12")));
}

TEST_CASE("timestamps", "[emulator][encoding]") {
  const auto t = std::chrono::system_clock::time_point{std::chrono::seconds(784111777)} + std::chrono::milliseconds(999);
  CHECK(format_rfc3339(t) == "1994-11-06T08:49:37Z");
  CHECK(format_http_date(t) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format_rfc3339(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("routes: 404 and 405 with Allow", "[emulator][router]") {
  auto m = match_route(http_method::get, true, "/v1/documents");
  CHECK(m.id == route_id::documents);
  m = match_route(http_method::post, true, "/v1/documents/batch");
  CHECK(m.id == route_id::batch);
  m = match_route(http_method::get, true, "/v1/documents/batch");
  CHECK_FALSE(m.id);
  CHECK(m.status == 405);
  CHECK(m.allow == "POST");
  m = match_route(http_method::delete_, true, "/v1/documents/doc%5F1");
  CHECK(m.id == route_id::document);
  CHECK(m.param == "doc_1");
  m = match_route(http_method::put, true, "/v1/documents/x");
  CHECK(m.status == 405);
  CHECK(m.allow == "GET, HEAD, PATCH, DELETE");
  m = match_route(http_method::get, false, "/v1/account");
  CHECK(m.status == 405);
  CHECK(match_route(http_method::get, true, "/v1/documents/a/b").status == 404);
  CHECK(match_route(http_method::get, true, "/v2/documents").status == 404);
  CHECK(match_route(http_method::get, true, "/v1").status == 404);
  CHECK(match_route(http_method::get, true, "/documents").status == 404);
  CHECK(match_route(http_method::get, true, "/.well-known/jwks.json").id == route_id::jwks);
  m = match_route(http_method::post, true, "/_emulator/keys/key_1/regenerate");
  CHECK(m.id == route_id::admin_regenerate);
  CHECK(m.param == "key_1");
  CHECK(m.admin);
  m = match_route(http_method::get, true, "/_emulator/nothing");
  CHECK(m.admin);
  CHECK(m.status == 404);
}

TEST_CASE("query parameters are split and decoded", "[emulator][router]") {
  auto [path, query] = split_target("/v1/documents?limit=5&tag=a%20b&cursor=x+y");
  CHECK(path == "/v1/documents");
  CHECK(query_param(query, "limit") == "5");
  CHECK(query_param(query, "tag") == "a b");
  CHECK(query_param(query, "cursor") == "x y");
  CHECK_FALSE(query_param(query, "missing"));
  CHECK_FALSE(query_param("a=%zz", "a"));
  CHECK_FALSE(percent_decode("%4", false));
  CHECK(query_param("flag", "flag") == "");
}

TEST_CASE("trailing content after the root value is detected", "[emulator][json]") {
  CHECK(ends_after_root_container(R"({"a":1})"));
  CHECK(ends_after_root_container(" {\"a\":\"}\\\"}\"} \n"));
  CHECK_FALSE(ends_after_root_container(R"({"a":1} {"b":2})"));
  CHECK_FALSE(ends_after_root_container(R"({"a":1}})"));
  CHECK_FALSE(ends_after_root_container(R"([1] x)"));
}
