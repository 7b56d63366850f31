// codex::json::writer: escaping, UTF-8 validation, nesting, numbers, round trip.

#include "json/scan_kernel.hpp"

#include <codex/json/writer.hpp>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string>

using codex::errc;
using codex::json::writer;

namespace {

std::string quoted(std::string_view s) {
  std::string out;
  writer w{out};
  w.string(s);
  REQUIRE_FALSE(w.error());
  return out;
}

std::error_code quote_error(std::string_view s) {
  std::string out = "prefix";
  writer w{out};
  w.string(s);
  CHECK(out == "prefix");  // a failed call leaves the output as it was
  return w.error();
}

}  // namespace

TEST_CASE("strings are quoted and escaped", "[json_writer]") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain") == R"("plain")");
  CHECK(quoted("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quoted("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(quoted("/") == R"("/")");
}

TEST_CASE("other control characters use \\u00XX", "[json_writer]") {
  CHECK(quoted(std::string_view("\0", 1)) == R"("\u0000")");
  CHECK(quoted("\x01\x1f") == R"("\u0001\u001f")");
  CHECK(quoted("x\x0by") == R"("x\u000by")");
  CHECK(quoted("\x7f") == "\"\x7f\"");  // DEL is not a control character for JSON
}

TEST_CASE("non-ASCII UTF-8 passes through", "[json_writer]") {
  CHECK(quoted("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(quoted("\xe2\x82\xac") == "\"\xe2\x82\xac\"");          // U+20AC
  CHECK(quoted("\xef\xbf\xbf") == "\"\xef\xbf\xbf\"");          // U+FFFF
  CHECK(quoted("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");  // U+1F600
  CHECK(quoted("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
  CHECK(quoted("\xed\x9f\xbf") == "\"\xed\x9f\xbf\"");          // U+D7FF, last before surrogates
}

TEST_CASE("invalid UTF-8 is rejected", "[json_writer]") {
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "\xc3",              // truncated 2-byte sequence
      "\xc3x",             // bad continuation
      "\xc0\xaf",          // overlong '/'
      "\xc1\xbf",          // overlong
      "\xe0\x80\xaf",      // overlong 3-byte
      "\xe0\x9f\xbf",      // overlong 3-byte (U+07FF)
      "\xf0\x80\x80\xaf",  // overlong 4-byte
      "\xf0\x8f\xbf\xbf",  // overlong 4-byte (U+FFFF)
      "\xed\xa0\x80",      // U+D800 (surrogate)
      "\xed\xbf\xbf",      // U+DFFF (surrogate)
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // lead byte out of range
      "\xff",
      "\xe2\x82",          // truncated at the end
      "ok\xf0\x9f\x98",    // truncated 4-byte
  };
  for (const char* s : bad) {
    INFO("input bytes: " << s);
    CHECK(quote_error(s) == errc::invalid_utf8);
    CHECK_FALSE(codex::json::is_valid_utf8(s));
  }
}

TEST_CASE("the first error sticks and later calls do nothing", "[json_writer]") {
  std::string out;
  writer w{out};
  w.begin_array().string("a").string("\xff").string("b").end_array();
  CHECK(w.error() == errc::invalid_utf8);
  CHECK(out == R"(["a")");
  CHECK_FALSE(w.complete());
}

TEST_CASE("keys are escaped and validated", "[json_writer]") {
  std::string out;
  writer w{out};
  w.begin_object().key("a\"b").int64(1).key("\xc0\x80");
  CHECK(w.error() == errc::invalid_utf8);
  CHECK(out == R"({"a\"b":1)");
}

TEST_CASE("commas and nesting", "[json_writer]") {
  std::string out;
  writer w{out};
  w.begin_object()
      .key("a").begin_array().int64(1).int64(-2).begin_object().end_object().begin_array().end_array().end_array()
      .key("b").begin_object().key("c").null().key("d").boolean(true).key("e").boolean(false).end_object()
      .key("f").raw(R"({"x":[1,2]})")
      .key("g").uint64(std::numeric_limits<std::uint64_t>::max())
      .end_object();
  REQUIRE_FALSE(w.error());
  CHECK(w.complete());
  CHECK(out == R"({"a":[1,-2,{},[]],"b":{"c":null,"d":true,"e":false},"f":{"x":[1,2]},"g":18446744073709551615})");
}

TEST_CASE("misuse is reported as invalid_argument", "[json_writer]") {
  SECTION("value without key in an object") {
    std::string out;
    writer w{out};
    w.begin_object().int64(1);
    CHECK(w.error() == errc::invalid_argument);
  }
  SECTION("key in an array") {
    std::string out;
    writer w{out};
    w.begin_array().key("k");
    CHECK(w.error() == errc::invalid_argument);
  }
  SECTION("mismatched end") {
    std::string out;
    writer w{out};
    w.begin_array().end_object();
    CHECK(w.error() == errc::invalid_argument);
  }
  SECTION("end after a dangling key") {
    std::string out;
    writer w{out};
    w.begin_object().key("k").end_object();
    CHECK(w.error() == errc::invalid_argument);
  }
  SECTION("two top-level values") {
    std::string out;
    writer w{out};
    w.int64(1).int64(2);
    CHECK(w.error() == errc::invalid_argument);
  }
  SECTION("too deep") {
    std::string out;
    writer w{out};
    for (unsigned i = 0; i < writer::max_depth; ++i) w.begin_array();
    CHECK_FALSE(w.error());
    w.begin_array();
    CHECK(w.error() == errc::invalid_argument);
  }
}

TEST_CASE("numbers", "[json_writer]") {
  auto num = [](double d) {
    std::string out;
    writer w{out};
    w.number(d);
    return std::make_pair(out, w.error());
  };
  CHECK(num(0.5).first == "0.5");
  CHECK(num(0.1).first == "0.1");
  CHECK(num(-3.0).first == "-3.0");  // read back as a double, not an integer
  CHECK(num(2.0).first == "2.0");
  CHECK(num(0.0).first == "0.0");
  CHECK(num(1234567.0).first == "1234567.0");
  CHECK(num(1e300).first == "1e+300");
  CHECK(num(std::nan("")).second == errc::invalid_argument);
  CHECK(num(std::numeric_limits<double>::infinity()).second == errc::invalid_argument);
  CHECK(num(-std::numeric_limits<double>::infinity()).second == errc::invalid_argument);

  std::string out;
  writer w{out};
  w.begin_array().int64(std::numeric_limits<std::int64_t>::min()).int64(0).end_array();
  CHECK(out == "[-9223372036854775808,0]");
}

TEST_CASE("output round-trips through simdjson", "[json_writer]") {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte.push_back(static_cast<char>(c));
  every_byte += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  every_byte.push_back('\0');

  std::string out;
  writer w{out};
  w.begin_object()
      .key("s").string(every_byte)
      .key("d").number(0.1)
      .key("i").int64(-42)
      .key("list").begin_array().string("x").boolean(true).null().end_array()
      .end_object();
  REQUIRE(w.complete());

  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(out);
  auto doc = parser.iterate(padded);
  std::string_view s;
  REQUIRE(doc["s"].get_string().get(s) == simdjson::SUCCESS);
  CHECK(s == every_byte);
  double d = 0;
  REQUIRE(doc["d"].get_double().get(d) == simdjson::SUCCESS);
  CHECK(d == 0.1);
  std::int64_t i = 0;
  REQUIRE(doc["i"].get_int64().get(i) == simdjson::SUCCESS);
  CHECK(i == -42);
  simdjson::ondemand::array list;
  REQUIRE(doc["list"].get_array().get(list) == simdjson::SUCCESS);
  std::size_t n = 0;
  REQUIRE(list.count_elements().get(n) == simdjson::SUCCESS);
  CHECK(n == 3);
}

TEST_CASE("escapes are found at every position of long strings, with either scan kernel", "[json_writer]") {
  // Once with each string-scan kernel (AVX2 where the CPU has it, then SSE2).
  const bool wide = GENERATE(true, false);
  INFO("AVX2 scan: " << codex::json::detail::use_wide_scan(wide));
  // The writer skips 64, then 16 clean bytes at a time, then scans the last few from a
  // padded copy: an escape or a multi-byte character at any offset, next to any other,
  // must come out exactly as the byte-by-byte rule says.
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\x01'), "\x1f", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  const std::string expected_of[] = {R"(\")", R"(\\)", R"(\n)", R"(\u0001)", R"(\u001f)", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  for (std::size_t length : {0, 1, 2, 7, 8, 9, 14, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 127, 128, 129}) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (std::size_t k = 0; k < std::size(specials); ++k) {
        const std::string text = std::string(at, 'a') + specials[k] + std::string(length - at, '~');
        std::string out;
        REQUIRE_FALSE(codex::json::append_quoted(out, text));
        CHECK(out == "\"" + std::string(at, 'a') + expected_of[k] + std::string(length - at, '~') + "\"");
      }
    }
  }
}

TEST_CASE("invalid UTF-8 at any position of a long string leaves the output as it was", "[json_writer]") {
  // Once with each string-scan kernel (AVX2 where the CPU has it, then SSE2).
  const bool wide = GENERATE(true, false);
  INFO("AVX2 scan: " << codex::json::detail::use_wide_scan(wide));
  // The scan learns only that a string is not all ASCII; validation then covers the
  // whole string, wherever the bad byte is, and rolls the output back.
  for (std::size_t length : {1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 128, 129}) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string text(length, 'x');
      text[at] = '\xff';
      std::string out = "kept";
      CHECK(codex::json::append_quoted(out, text) == errc::invalid_utf8);
      CHECK(out == "kept");
      CHECK_FALSE(codex::json::is_valid_utf8(text));
    }
  }
}

TEST_CASE("bytes at the edges of the escaping rule, and escapes side by side", "[json_writer]") {
  // Once with each string-scan kernel (AVX2 where the CPU has it, then SSE2).
  const bool wide = GENERATE(true, false);
  INFO("AVX2 scan: " << codex::json::detail::use_wide_scan(wide));
  std::string out;
  REQUIRE_FALSE(codex::json::append_quoted(out, std::string("\x1f\x20\x7f!#[]", 7)));
  CHECK(out == "\"\\u001f \x7f!#[]\"");
  out.clear();
  REQUIRE_FALSE(codex::json::append_quoted(out, std::string(20, '"')));
  std::string expected = "\"";
  for (int i = 0; i < 20; ++i) expected += "\\\"";
  CHECK(out == expected + "\"");
  CHECK(codex::json::is_valid_utf8(std::string(40, '\x7f')));
}
