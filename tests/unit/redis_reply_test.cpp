// The Redis reply reader on bytes, with no socket: pieces, nesting, refusals.

#include "limit/redis_reply_reader.hpp"

#include <catch2/catch.hpp>

#include <string_view>

using codex::limit::redis_reply;
using codex::limit::detail::reply_reader;

namespace {

// Feeds `bytes` and returns the first reply; `ok` false when the reader refused them.
std::optional<redis_reply> read_one(std::string_view bytes, bool& ok) {
  reply_reader reader;
  ok = reader.feed(bytes.data(), bytes.size());
  if (!ok) return std::nullopt;
  return reader.next(ok);
}

}  // namespace

TEST_CASE("replies of every kind, nested, and in pieces", "[redis_reply]") {
  using namespace std::string_view_literals;
  bool ok = false;
  auto reply = read_one("*3\r\n:42\r\n$5\r\nhel\0o\r\n*2\r\n+OK\r\n$-1\r\n"sv, ok);
  REQUIRE(ok);
  REQUIRE(reply);
  REQUIRE(reply->type == redis_reply::kind::array);
  REQUIRE(reply->elements.size() == 3);
  CHECK(reply->elements[0].type == redis_reply::kind::integer);
  CHECK(reply->elements[0].integer == 42);
  CHECK(reply->elements[1].text == "hel\0o"sv);
  REQUIRE(reply->elements[2].elements.size() == 2);
  CHECK(reply->elements[2].elements[0].type == redis_reply::kind::status);
  CHECK(reply->elements[2].elements[1].type == redis_reply::kind::nil);

  reply = read_one("-NOSCRIPT No matching script\r\n", ok);
  REQUIRE(reply);
  CHECK(reply->is_error());
  CHECK(reply->text == "NOSCRIPT No matching script");

  reply_reader reader;
  const std::string_view stream = "*2\r\n:0\r\n:1733000000000\r\n";
  for (std::size_t i = 0; i < stream.size(); ++i) {
    REQUIRE(reader.feed(&stream[i], 1));
    if (i + 1 < stream.size()) {
      CHECK_FALSE(reader.next(ok));
      CHECK(ok);
    }
  }
  reply = reader.next(ok);
  REQUIRE(reply);
  CHECK(reply->elements.at(1).integer == 1733000000000);
}

// Found by fuzz/redis_reply: hiredis reserved an array's element table from the count
// announced, before any element came ("*1000000000" asked for 8 GB).
TEST_CASE("an array announcing more elements than any limiter reply is refused at once", "[redis_reply]") {
  bool ok = true;
  CHECK_FALSE(read_one("*1000000000\r\n", ok));
  CHECK_FALSE(ok);
  CHECK_FALSE(read_one("*65537\r\n", ok));
  CHECK_FALSE(ok);
  reply_reader reader;
  REQUIRE(reader.feed("*65536\r\n", 8));
  CHECK_FALSE(reader.next(ok));
  CHECK(ok);  // allowed: waits for its elements
}

TEST_CASE("malformed replies are protocol errors", "[redis_reply]") {
  bool ok = true;
  CHECK_FALSE(read_one("?what\r\n", ok));
  CHECK_FALSE(ok);
  CHECK_FALSE(read_one(":12a\r\n", ok));
  CHECK_FALSE(ok);
}
