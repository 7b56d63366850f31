// The codec driven as the connection drives it: bytes in arbitrary pieces. Both halves:
// the client's (libcodex) and the server's (the emulator's library).
#include "emulator/http_server_codec.hpp"
#include "net/http_codec.hpp"

#include <codex/error.hpp>

#include <catch2/catch.hpp>

#include <string>

using codex::errc;
using namespace codex::net;

namespace {

/// Feeds `wire` to a reader in pieces of `step` bytes, re-presenting unconsumed
/// bytes as the connection does. Returns the error (if any) and whether it finished.
template <class Reader>
std::error_code feed(Reader& reader, std::string_view wire, std::size_t step, bool eof_at_end = false) {
  std::string pending;
  std::error_code ec;
  for (std::size_t at = 0; at < wire.size() && !reader.done(); at += step) {
    pending.append(wire.substr(at, step));
    const std::size_t used = reader.put({pending.data(), pending.size()}, ec);
    if (ec) return ec;
    pending.erase(0, used);
  }
  if (eof_at_end && !reader.done()) reader.put_eof(ec);
  return ec;
}

const std::string ok_response =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_1\r\nContent-Length: 11\r\n\r\n"
    "{\"a\":\"bc\"}\n";

}  // namespace

TEST_CASE("codec: request head is a valid HTTP/1.1 head with Host and Content-Length", "[codec]") {
  http_request request{.method = http_method::post, .target = "/v1/documents?x=1", .body = "{}"};
  request.headers.add("X-API-Key", "k");
  std::string out;
  CHECK(codec::write_request_head(request, "127.0.0.1:8443", {}, out));
  CHECK(out.starts_with("POST /v1/documents?x=1 HTTP/1.1\r\n"));
  CHECK(out.find("Host: 127.0.0.1:8443\r\n") != std::string::npos);
  CHECK(out.find("X-API-Key: k\r\n") != std::string::npos);
  CHECK(out.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\n"));

  std::string get_head;
  CHECK(codec::write_request_head({.target = "/v1/account"}, "h", {}, get_head));
  CHECK(get_head.find("Content-Length") == std::string::npos);
}

TEST_CASE("codec: preset fields follow Host; a caller's Host and Content-Length are not sent", "[codec]") {
  codex::net::header_list constant;
  constant.add("Accept", "application/json");
  constant.add("User-Agent", "codex-cpp/test");
  std::string preset;
  REQUIRE(codec::format_fields(constant, preset));
  CHECK(preset == "Accept: application/json\r\nUser-Agent: codex-cpp/test\r\n");

  http_request request{.method = http_method::put, .target = "/v1/documents/d", .body = "{\"a\":1}"};
  request.headers.add("If-Match", "3");
  request.headers.add("Host", "evil.example");
  request.headers.add("content-length", "999");
  std::string out;
  REQUIRE(codec::write_request_head(request, "h:1", preset, out));
  CHECK(out == "PUT /v1/documents/d HTTP/1.1\r\nHost: h:1\r\nAccept: application/json\r\nUser-Agent: codex-cpp/test\r\n"
               "If-Match: 3\r\nContent-Length: 7\r\n\r\n");

  codex::net::header_list broken;
  broken.add("X-Bad", "a\r\nX-Injected: 1");
  std::string untouched = "kept";
  const auto refused = codec::format_fields(broken, untouched);
  REQUIRE_FALSE(refused);
  CHECK(refused.code() == errc::invalid_argument);
  CHECK(untouched == "kept");
}

TEST_CASE("net: a field value may hold visible ASCII, blanks and 0x80-0xFF, but no control character", "[codec]") {
  for (std::string_view ok : {"", "k", "Bearer eyJ.x-_~+/=", "a\tb c", "caf\xc3\xa9", "\xff\x80",
                              "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"}) {
    INFO(ok);
    CHECK(is_valid_field_value(ok));
  }
  for (std::string_view bad : {"a\rb", "a\nb", "tok\r\nX-Injected: 1", "\x1b[2J", "a\x7f", "\x01", "\x1f", "x\x0b"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_field_value(bad));
  }
  CHECK_FALSE(is_valid_field_value(std::string_view("a\0b", 3)));

  for (std::string_view ok : {"X-API-Key", "Authorization", "x!#$%&'*+-.^_`|~9"}) CHECK(is_valid_field_name(ok));
  for (std::string_view bad : {"", "X Key", "X:Key", "X\r\nKey", "X\tKey", "caf\xc3\xa9", "(x)"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_field_name(bad));
  }
}

TEST_CASE("codec: a request head that would carry an extra line is refused, and nothing is written", "[codec]") {
  const std::string secret = "cdx_0123456789abcdef0123456789abcdef01234567";
  auto check_refused = [&](const http_request& request, std::string_view host = "127.0.0.1:8443") {
    std::string out = "kept";
    const auto written = codec::write_request_head(request, host, {}, out);
    REQUIRE_FALSE(written);
    CHECK(written.code() == errc::invalid_argument);
    CHECK(out == "kept");
    INFO(written.error().message);
    CHECK(written.error().message.find(secret) == std::string::npos);
    CHECK(written.error().message.find("Injected") == std::string::npos);
    const auto checked = codec::check_request_head(request, host);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().message == written.error().message);
    return written.error().message;
  };

  for (std::string value : {secret + "\r\nX-Injected: 1", secret + "\nX-Injected: 1", secret + "\rX-Injected: 1",
                            secret + std::string("\0X-Injected: 1", 14), secret + "\x1b[2J"}) {
    http_request request{.target = "/v1/account"};
    request.headers.add("Accept", "application/json");
    request.headers.add("Authorization", "Bearer " + value);
    const auto message = check_refused(request);
    CHECK(message.find("Authorization") != std::string::npos);
  }
  {
    http_request request{.target = "/v1/account"};
    request.headers.add("X-Injected: 1\r\nX-API-Key", secret);
    check_refused(request);
  }
  for (std::string target : {"/v1/a b", "/v1/a\r\nX-Injected: 1", "", "/v1/caf\xc3\xa9", "/v1/\x7f"}) {
    INFO(target);
    check_refused({.target = target});
  }
  check_refused({.target = "/v1/account"}, "127.0.0.1\r\nX-Injected: 1");
}

TEST_CASE("codec: a response parses whatever the read sizes", "[codec]") {
  for (std::size_t step : {1u, 2u, 7u, 64u, 4096u}) {
    INFO("step " << step);
    codec::response_reader reader({}, false);
    REQUIRE_FALSE(feed(reader, ok_response, step));
    REQUIRE(reader.done());
    CHECK(reader.keep_alive());
    auto response = reader.release();
    CHECK(response.status == 200);
    CHECK(response.headers.find("x-request-id") == "req_1");
    CHECK(response.body == "{\"a\":\"bc\"}\n");
    CHECK(response.body.capacity() >= response.body.size() + body_padding);
  }
}

TEST_CASE("codec: chunked and close-delimited bodies", "[codec]") {
  const std::string chunked =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
  codec::response_reader reader({}, false);
  REQUIRE_FALSE(feed(reader, chunked, 3));
  REQUIRE(reader.done());
  auto response = reader.release();
  CHECK(response.status == 201);
  CHECK(response.body == "abcdefg");
  CHECK(response.body.capacity() >= response.body.size() + body_padding);

  const std::string until_close = "HTTP/1.1 200 OK\r\n\r\nall of it";
  codec::response_reader close_reader({}, false);
  REQUIRE_FALSE(feed(close_reader, until_close, 5, true));
  REQUIRE(close_reader.done());
  CHECK_FALSE(close_reader.keep_alive());  // the connection ended the body
  CHECK(close_reader.release().body == "all of it");
}

TEST_CASE("codec: Connection: close and HEAD", "[codec]") {
  codec::response_reader closing({}, false);
  REQUIRE_FALSE(feed(closing, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 4));
  REQUIRE(closing.done());
  CHECK_FALSE(closing.keep_alive());

  codec::response_reader head({}, true);  // Content-Length announces a body HEAD never gets
  REQUIRE_FALSE(feed(head, "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 8));
  CHECK(head.done());
  CHECK(head.release().body.empty());
}

TEST_CASE("codec: every truncation of a response is connection_closed, never success", "[codec]") {
  for (std::size_t cut = 0; cut < ok_response.size(); ++cut) {
    INFO("cut at " << cut);
    codec::response_reader reader({}, false);
    auto ec = feed(reader, std::string_view(ok_response).substr(0, cut), 3, true);
    CHECK_FALSE(reader.done());
    CHECK(ec == errc::connection_closed);
  }
}

TEST_CASE("codec: limits and malformed input are typed errors", "[codec]") {
  codec::response_reader big_body({.max_body = 10, .max_header = 1024}, false);
  CHECK(feed(big_body, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 64) == errc::response_too_large);

  codec::response_reader big_chunks({.max_body = 10, .max_header = 1024}, false);
  CHECK(feed(big_chunks, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n" + std::string(255, 'x'), 16) ==
        errc::response_too_large);

  codec::response_reader big_header({.max_body = 10, .max_header = 64}, false);
  CHECK(feed(big_header, "HTTP/1.1 200 OK\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n", 16) ==
        errc::response_too_large);

  for (auto garbage : {"HTTX/1.1 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"}) {
    INFO(garbage);
    codec::response_reader reader({}, false);
    CHECK(feed(reader, garbage, 64) == errc::protocol_error);
  }
}

// Found by fuzz/http_response and fuzz/emulator_request: Beast judged its header limit
// by what it was shown at once, so the same head passed or failed with the read sizes.
TEST_CASE("codec: the head limit is exact whatever the read sizes", "[codec]") {
  const std::string head = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(40, 'p') + "\r\nContent-Length: 2\r\n\r\n";
  const std::string response = head + "{}";
  for (const std::size_t step : {std::size_t{1}, std::size_t{7}, head.size() - 1, head.size(), response.size()}) {
    INFO("step " << step);
    codec::response_reader fits({.max_body = 10, .max_header = head.size()}, false);
    CHECK_FALSE(feed(fits, response, step));
    CHECK(fits.done());
    CHECK(fits.release().body == "{}");
    codec::response_reader over({.max_body = 10, .max_header = head.size() - 1}, false);
    CHECK(feed(over, response, step) == errc::response_too_large);
  }
  const std::string request = "GET /v1/x HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(30, 'q') + "\r\n\r\n";
  for (const std::size_t step : {std::size_t{1}, std::size_t{5}, request.size()}) {
    INFO("step " << step);
    codec::request_reader fits({.max_body = 10, .max_header = request.size()});
    CHECK_FALSE(feed(fits, request, step));
    CHECK(fits.done());
    codec::request_reader over({.max_body = 10, .max_header = request.size() - 1});
    CHECK(feed(over, request, step) == errc::payload_too_large);
    CHECK(over.head_too_large());
  }
}

TEST_CASE("codec: server side reads requests and refuses big bodies from the header", "[codec]") {
  const std::string wire =
      "POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nIdempotency-Key: k1\r\n\r\n{}";
  codec::request_reader reader({});
  REQUIRE_FALSE(feed(reader, wire, 5));
  REQUIRE(reader.done());
  auto request = reader.release();
  CHECK(request.method == http_method::post);
  CHECK(request.method_known);
  CHECK(request.target == "/v1/documents");
  CHECK(request.headers.find("idempotency-key") == "k1");
  CHECK(request.body == "{}");
  CHECK(request.keep_alive);

  // 413 is decided from Content-Length alone: the body is never read.
  codec::request_reader limited({.max_body = 100, .max_header = 1024});
  CHECK(feed(limited, "POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", 1000) == errc::payload_too_large);
  CHECK_FALSE(limited.head_too_large());

  // A head over max_header is too large too, but must be told apart: it is a 431.
  codec::request_reader small_head({.max_body = 100, .max_header = 1024});
  const std::string big_head = "GET / HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n";
  CHECK(feed(small_head, big_head, 512) == errc::payload_too_large);
  CHECK(small_head.head_too_large());

  codec::request_reader expecting({});
  std::error_code ec;
  const std::string head = "PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  expecting.put({head.data(), head.size()}, ec);
  CHECK_FALSE(ec);
  CHECK(expecting.header_done());
  CHECK(expecting.expects_continue());
  CHECK_FALSE(expecting.done());

  codec::request_reader odd({});
  REQUIRE_FALSE(feed(odd, "BREW /pot HTTP/1.1\r\n\r\n", 64));
  CHECK_FALSE(odd.release().method_known);
}

TEST_CASE("codec: response head has status, length and connection", "[codec]") {
  header_list headers;
  headers.add("Content-Type", "application/json");
  std::string out;
  codec::write_response_head(429, headers, 17, false, out);
  CHECK(out.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
  CHECK(out.find("Content-Length: 17\r\n") != std::string::npos);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
}
