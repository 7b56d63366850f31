#include "terminal_text.hpp"

#include <algorithm>

namespace codex::cli {
namespace {

/// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629: no
/// overlong form, no surrogate, nothing above U+10FFFF), or 0 if there is none.
std::size_t sequence_length(std::string_view text) noexcept {
  auto byte = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  auto continuation = [&](std::size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
    return byte(i) >= low && byte(i) <= high;
  };
  const unsigned lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned high = lead == 0xED ? 0x9F : 0xBF;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

/// U+0080–U+009F, which terminals take as controls (0x9B is CSI, like ESC '[').
bool is_c1(std::string_view sequence) noexcept {
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xC2 &&
         static_cast<unsigned char>(sequence[1]) <= 0x9F;
}

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned code_point) {
  out += "\\u00";
  out += hex_digits[(code_point >> 4) & 0xF];
  out += hex_digits[code_point & 0xF];
}

/// The code point of a one- or two-byte sequence (all that the escapes need).
unsigned code_point_of(std::string_view sequence) noexcept {
  const auto lead = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() == 1) return lead;
  return ((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(sequence[1]) & 0x3Fu);
}

bool is_plain_ascii(char c) noexcept { return c >= 0x20 && c < 0x7F; }

/// Copies `text` to a new string, passing each character or stray byte to `escape`,
/// which appends what it becomes and returns true, or returns false to keep it as is.
template <class Escape>
std::string rewrite(std::string_view text, Escape escape) {
  std::string out;
  out.reserve(text.size() + 16);
  while (!text.empty()) {
    const std::size_t length = sequence_length(text);
    const std::string_view piece = text.substr(0, std::max<std::size_t>(length, 1));
    if (!escape(out, piece, length != 0)) out += piece;
    text.remove_prefix(piece.size());
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), is_plain_ascii)) return std::string(text);
  return rewrite(text, [](std::string& out, std::string_view piece, bool well_formed) {
    if (!well_formed) {
      out += "\\x";
      out += hex_digits[static_cast<unsigned char>(piece[0]) >> 4];
      out += hex_digits[static_cast<unsigned char>(piece[0]) & 0xF];
      return true;
    }
    const bool control = (piece.size() == 1 && !is_plain_ascii(piece[0])) || is_c1(piece);
    if (control) append_u_escape(out, code_point_of(piece));
    return control;
  });
}

std::string printable_json(std::string_view json_text) {
  return rewrite(json_text, [](std::string& out, std::string_view piece, bool well_formed) {
    if (!well_formed) {
      out += "\\ufffd";
      return true;
    }
    const char c = piece[0];
    const bool whitespace = c == '\t' || c == '\n' || c == '\r';
    const bool control = (piece.size() == 1 && !is_plain_ascii(c) && !whitespace) || is_c1(piece);
    if (control) append_u_escape(out, code_point_of(piece));
    return control;
  });
}

}  // namespace codex::cli
