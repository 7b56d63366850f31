// The CLI's escaping of text from servers and input files: printable() for human
// output, printable_json() for --json output.
#include "terminal_text.hpp"

#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/net/http_message.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using codex::cli::printable;
using codex::cli::printable_json;

namespace {

/// Whether `text` holds a byte a terminal acts on, or that starts a C1 control.
bool has_raw_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7F) return true;
    if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return true;
  }
  return false;
}

const std::string hostile = "A\x1b]0;pwned\x07 B\x1b[2J C\xc2\x9b" "31m D\x7f E\r\nF\tG";

}  // namespace

TEST_CASE("printable: controls become \\u escapes, stray bytes \\x escapes", "[cli]") {
  CHECK(printable(hostile) == "A\\u001b]0;pwned\\u0007 B\\u001b[2J C\\u009b31m D\\u007f E\\u000d\\u000aF\\u0009G");
  CHECK(printable(std::string_view("\0", 1)) == "\\u0000");
  CHECK(printable("\x1f") == "\\u001f");
  CHECK(printable("\xc2\x80\xc2\x9f") == "\\u0080\\u009f");
  // Not UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a
  // surrogate, a code point above U+10FFFF, bytes that never occur.
  CHECK(printable("a\x80z") == "a\\x80z");
  CHECK(printable("a\xe2\x82") == "a\\xe2\\x82");
  CHECK(printable("\xc1\x9b") == "\\xc1\\x9b");  // overlong CSI
  CHECK(printable("\xe0\x80\x9b") == "\\xe0\\x80\\x9b");
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");
}

TEST_CASE("printable: printable ASCII and valid UTF-8 are kept as they are", "[cli]") {
  for (std::string_view text : {"", "plain title", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", "caf\xc3\xa9",
                                "\xc2\xa0nbsp \xc2\xa3 \xc2\xb0",  // U+00A0 and up: just after C1
                                "\xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"}) {
    INFO(text);
    CHECK(printable(text) == text);
  }
}

TEST_CASE("printable: nothing it returns holds a raw control, whatever the input", "[cli]") {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  CHECK_FALSE(has_raw_control(printable(every_byte)));
  for (int b = 0x80; b < 0xC0; ++b) {
    const std::string c1{'\xc2', static_cast<char>(b)};
    INFO(b);
    CHECK_FALSE(has_raw_control(printable(c1)));
  }
}

TEST_CASE("printable_json: DEL and C1 escaped, and the JSON parses back to the same strings", "[cli]") {
  codex::document doc;
  doc.id = "doc_1";
  doc.title = hostile;
  doc.body = "\xc2\x85next line \xc2\x9b" "2J caf\xc3\xa9";
  doc.tags = {"\x7f", "ok"};
  std::string text;
  REQUIRE_FALSE(codex::json::encode(doc, text));
  REQUIRE(has_raw_control(text));  // JSON itself lets DEL and C1 through

  const std::string shown = printable_json(text);
  INFO(shown);
  CHECK_FALSE(has_raw_control(shown));
  CHECK(shown.find("\\u009b") != std::string::npos);
  CHECK(shown.find("caf\xc3\xa9") != std::string::npos);  // other characters are kept

  std::string padded = shown;
  padded.reserve(padded.size() + codex::net::body_padding);
  auto back = codex::json::decode_document(padded);
  REQUIRE(back);
  CHECK(back->title == doc.title);
  CHECK(back->body == doc.body);
  CHECK(back->tags == doc.tags);
}

TEST_CASE("printable_json: whitespace between tokens is kept, other raw controls escaped", "[cli]") {
  CHECK(printable_json("{\n\t\"a\": 1\r\n}") == "{\n\t\"a\": 1\r\n}");
  CHECK(printable_json("\"\x1b[2J\"") == "\"\\u001b[2J\"");
  CHECK(printable_json("\"\xff\"") == "\"\\ufffd\"");
}
