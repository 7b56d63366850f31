// The base URL parser and percent-encoding (src/net/url.cpp): CODEX_BASE_URL, the
// credentials file's base_url, and every id or cursor put into a target.
// Invariants: a URL that parses is printed by to_string() as a URL that parses to the
// same parts; its host is never empty and its prefix never ends with '/' and holds no
// blank or control character (it goes into every request line as it is);
// percent_encode writes only unreserved characters and %XX, and decodes back.

#include <codex/net/url.hpp>

#include "support.hpp"

namespace {

using namespace codex;

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // percent_encode writes upper case only
}

// The inverse of percent_encode, checking its output's form on the way.
std::string percent_decode(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      FUZZ_CHECK(is_unreserved(encoded[i]));
      out += encoded[i];
      continue;
    }
    FUZZ_CHECK(i + 2 < encoded.size());
    const int high = hex_digit(encoded[i + 1]), low = hex_digit(encoded[i + 2]);
    FUZZ_CHECK(high >= 0 && low >= 0);
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  if (const auto parsed = net::url::parse(input)) {
    FUZZ_CHECK(!parsed->host.empty());
    FUZZ_CHECK(parsed->port != 0);
    FUZZ_CHECK(!parsed->path_prefix.ends_with('/'));
    for (const char c : parsed->path_prefix) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
    FUZZ_CHECK(parsed->target("/documents") == parsed->path_prefix + "/documents");
    const std::string printed = parsed->to_string();
    const auto again = net::url::parse(printed);
    if (!again) std::fprintf(stderr, "printed: %s\n", printed.c_str());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->host == parsed->host && again->port == parsed->port &&
               again->path_prefix == parsed->path_prefix);
    FUZZ_CHECK(again->host_is_ip() == parsed->host_is_ip());
  }
  FUZZ_CHECK(percent_decode(net::percent_encode(input)) == input);
  std::string target = "/documents";
  net::append_query(target, input, input);
  FUZZ_CHECK(target.find('?') == 10 && target.find('?', 11) == std::string::npos);
  return 0;
}
