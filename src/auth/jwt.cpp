#include <codex/auth/jwt.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace codex::auth {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of a base64url character, or -1.
constexpr std::array<int, 256> decode_table = [] {
  std::array<int, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}();

result<jwt_claims> garbage() { return errc::decode_error; }

// A strict reader of just enough JSON to walk one object's members.
class json_reader {
 public:
  explicit json_reader(std::string_view text) : s_(text) {}

  void skip_ws() noexcept {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
  }
  bool take(char c) noexcept {
    skip_ws();
    if (p_ >= s_.size() || s_[p_] != c) return false;
    ++p_;
    return true;
  }
  bool peek(char c) noexcept {
    skip_ws();
    return p_ < s_.size() && s_[p_] == c;
  }
  bool at_end() noexcept {
    skip_ws();
    return p_ == s_.size();
  }

  // A string, unescaped into `out` (\uXXXX and surrogate pairs as UTF-8).
  bool read_string(std::string& out) {
    if (!take('"')) return false;
    out.clear();
    while (p_ < s_.size()) {
      const char c = s_[p_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= s_.size() || !read_escape(s_[p_++], out)) return false;
    }
    return false;
  }

  // The lexeme of a number (RFC 8259 grammar).
  bool read_number(std::string_view& lexeme) noexcept {
    skip_ws();
    const std::size_t start = p_;
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    if (p_ < s_.size() && s_[p_] == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (!digits()) return false;
    }
    lexeme = s_.substr(start, p_ - start);
    return true;
  }

  // Skips any value, nested at most `depth` levels.
  bool skip_value(int depth) {
    if (depth <= 0) return false;
    skip_ws();
    if (p_ >= s_.size()) return false;
    std::string scratch;
    std::string_view lexeme;
    switch (s_[p_]) {
      case '"': return read_string(scratch);
      case '{': return skip_container('}', depth, true);
      case '[': return skip_container(']', depth, false);
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return read_number(lexeme);
    }
  }

 private:
  bool digits() noexcept {
    const std::size_t start = p_;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    return p_ > start;
  }

  bool literal(std::string_view word) noexcept {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool skip_container(char close, int depth, bool object) {
    ++p_;
    if (take(close)) return true;
    std::string key;
    do {
      if (object && (!read_string(key) || !take(':'))) return false;
      if (!skip_value(depth - 1)) return false;
    } while (take(','));
    return take(close);
  }

  bool hex4(std::uint32_t& value) noexcept {
    if (p_ + 4 > s_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[p_++];
      const int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      value = value * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
  }

  bool read_escape(char e, std::string& out) {
    switch (e) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (s_.substr(p_, 2) != "\\u") return false;
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    append_utf8(cp, out);
    return true;
  }

  static void append_utf8(std::uint32_t cp, std::string& out) {
    auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
    if (cp < 0x80) {
      byte(cp);
    } else if (cp < 0x800) {
      byte(0xC0 | (cp >> 6));
      byte(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      byte(0xE0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    } else {
      byte(0xF0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3F));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  std::size_t p_ = 0;
};

// A NumericDate: an integer, or a number whose fraction is truncated.
std::optional<std::int64_t> numeric_date(std::string_view lexeme) noexcept {
  std::int64_t whole = 0;
  const auto [end, ec] = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), whole);
  if (ec == std::errc{} && end == lexeme.data() + lexeme.size()) return whole;
  double value = 0;
  const auto [dend, dec] = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), value);
  if (dec != std::errc{} || dend != lexeme.data() + lexeme.size() || !std::isfinite(value)) return std::nullopt;
  if (value >= 9.2e18 || value <= -9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(std::trunc(value));
}

// "scope": a string, or an array of strings joined with spaces.
bool read_scope(json_reader& in, std::string& scope) {
  if (!in.peek('[')) return in.read_string(scope);
  in.take('[');
  scope.clear();
  if (in.take(']')) return true;
  std::string item;
  do {
    if (!in.read_string(item)) return false;
    if (!scope.empty()) scope += ' ';
    scope += item;
  } while (in.take(','));
  return in.take(']');
}

bool read_member(json_reader& in, const std::string& key, jwt_claims& claims) {
  if (key == "exp") {
    std::string_view lexeme;
    if (!in.read_number(lexeme)) return false;
    claims.exp = numeric_date(lexeme);
    return claims.exp.has_value();
  }
  if (key == "sub") return in.read_string(claims.sub.emplace());
  if (key == "scope") return read_scope(in, claims.scope.emplace());
  return in.skip_value(64);
}

}  // namespace

result<std::string> base64url_decode(std::string_view text) {
  // Padding, if present, must make the length a multiple of 4 and be at most "==".
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 0 && (padding > 2 || text.size() % 4 != 0)) return errc::decode_error;
  text.remove_suffix(padding);
  if (text.size() % 4 == 1) return errc::decode_error;

  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int v = decode_table[static_cast<unsigned char>(c)];
    if (v < 0) return errc::decode_error;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 0x3F];
  return out;
}

result<jwt_claims> read_jwt_claims(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return garbage();
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return garbage();
  const auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return garbage();

  json_reader in(*payload);
  jwt_claims claims;
  if (!in.take('{')) return garbage();
  if (!in.take('}')) {
    std::string key;
    do {
      if (!in.read_string(key) || !in.take(':') || !read_member(in, key, claims)) return garbage();
    } while (in.take(','));
    if (!in.take('}')) return garbage();
  }
  if (!in.at_end()) return garbage();
  return claims;
}

}  // namespace codex::auth
