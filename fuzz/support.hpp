#pragma once
// What the fuzz targets share: invariant checks that crash (so that libFuzzer keeps the
// input), the two ways a body can reach a decoder, and inputs cut into pieces.

#include <codex/net/http_message.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace codex::fuzz {

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, file, line);
  std::abort();
}

// A macro, to name the condition and its line in the report.
#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::codex::fuzz::invariant_failed(#condition, __FILE__, __LINE__))

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// `text` C-escaped (octal escapes, as libFuzzer prints inputs), for reports.
inline std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\' && c != '"') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", byte);
      out += buf;
    }
  }
  return out;
}

/// A copy with the padding the transport gives response bodies: decoded in place.
inline std::string padded(std::string_view text) {
  std::string out;
  out.reserve(text.size() + net::body_padding);
  out.assign(text);
  return out;
}

/// A copy with no spare capacity to speak of: decoders take their copying path.
inline std::string unpadded(std::string_view text) {
  std::string out(text);
  out.shrink_to_fit();
  return out;
}

/// An input whose first byte chooses how it is cut: its low 3 bits say how many length
/// bytes follow (0 to 7); each is the length of one piece of what comes after them, and
/// the last piece is whatever remains. The high 5 bits are left to the target (flags).
struct cut_input {
  unsigned flags = 0;                   ///< the first byte >> 3
  std::string_view payload;             ///< the bytes to feed
  std::vector<std::string_view> pieces; ///< payload, in the chosen pieces (empty ones included)
};

inline cut_input cut(std::string_view input) {
  cut_input out;
  if (input.empty()) return out;
  const auto first = static_cast<unsigned char>(input[0]);
  out.flags = first >> 3;
  const std::size_t cuts = std::min<std::size_t>(first & 7u, input.size() - 1);
  const std::string_view lengths = input.substr(1, cuts);
  out.payload = input.substr(1 + cuts);
  std::string_view rest = out.payload;
  for (const char length : lengths) {
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(length), rest.size());
    out.pieces.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  out.pieces.push_back(rest);
  return out;
}

}  // namespace codex::fuzz
