#include <codex/net/url.hpp>

#include <catch2/catch.hpp>

using codex::errc;
using codex::net::url;

TEST_CASE("url: https with host, port and path prefix", "[url]") {
  auto u = url::parse("https://API.Example.com:8443/api/v1/");
  REQUIRE(u.has_value());
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 8443);
  CHECK(u->path_prefix == "/api/v1");
  CHECK(u->authority() == "api.example.com:8443");
  CHECK(u->target("/documents") == "/api/v1/documents");
  CHECK(u->to_string() == "https://api.example.com:8443/api/v1");
  CHECK_FALSE(u->host_is_ip());
}

TEST_CASE("url: defaults and IP literals", "[url]") {
  auto plain = url::parse("https://api.codex.dev/v1");
  REQUIRE(plain);
  CHECK(plain->port == 443);
  CHECK(plain->authority() == "api.codex.dev");

  auto v4 = url::parse("https://127.0.0.1:4443");
  REQUIRE(v4);
  CHECK(v4->host_is_ip());
  CHECK(v4->path_prefix.empty());

  auto v6 = url::parse("https://[::1]:4443/v1");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_is_ip());
  CHECK(v6->authority() == "[::1]:4443");
}

TEST_CASE("url: any scheme but https is refused with a typed error", "[url]") {
  for (auto text : {"http://127.0.0.1:80/v1", "HTTP://example.com", "ftp://example.com", "ws://x"}) {
    auto u = url::parse(text);
    REQUIRE_FALSE(u.has_value());
    CHECK(u.code() == errc::unsupported_scheme);
  }
}

TEST_CASE("url: malformed URLs are invalid_url", "[url]") {
  for (auto text : {"example.com", "https://", "https://:443", "https://host:0", "https://host:65536",
                    "https://host:abc", "https://user:pw@host", "https://host/v1?x=1", "https://host/#f",
                    "https://[::1", "https://[zz]:1", "https://ho st", "https://host:"}) {
    INFO(text);
    auto u = url::parse(text);
    REQUIRE_FALSE(u.has_value());
    CHECK(u.code() == errc::invalid_url);
  }
}

TEST_CASE("url: percent-encoding and query building", "[url]") {
  CHECK(codex::net::percent_encode("abc-._~XYZ019") == "abc-._~XYZ019");
  CHECK(codex::net::percent_encode("a b/c?d&e=f") == "a%20b%2Fc%3Fd%26e%3Df");
  CHECK(codex::net::percent_encode("é") == "%C3%A9");
  std::string target = "/v1/documents";
  codex::net::append_query(target, "limit", "5");
  codex::net::append_query(target, "tag", "a&b c");
  CHECK(target == "/v1/documents?limit=5&tag=a%26b%20c");
}

// Found by fuzz/url: the prefix goes into every request line as it is, so a blank or a
// CR/LF in it would split the request.
TEST_CASE("url: a path with characters outside RFC 3986 is refused", "[url]") {
  for (const std::string text : {"https://h/a b", "https://h/v1\r\nX-Injected: 1", "https://h/v1\t", "https://h/\x7f",
                                 "https://h/%zz", "https://h/%4", "https://h/\xc3\xa9", "https://h/a\"b"}) {
    INFO(text);
    const auto u = url::parse(text);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == errc::invalid_url);
  }
  const auto ok = url::parse("https://h/api/v1;x=1/%C3%A9/a:b@c!$&'()*+,=~_-.");
  REQUIRE(ok);
  CHECK(ok->path_prefix == "/api/v1;x=1/%C3%A9/a:b@c!$&'()*+,=~_-.");
}
