#include <codex/json/writer.hpp>

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace codex::json {
namespace {

// What each ASCII byte becomes: 0 = itself, 'u' = \u00XX, else the letter after '\'.
constexpr std::array<char, 128> escape_table = [] {
  std::array<char, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

void append_escape(std::string& out, unsigned char c) {
  const char e = escape_table[c];
  if (e != 'u') {
    const char pair[2] = {'\\', e};
    out.append(pair, 2);
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  const char seq[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
  out.append(seq, 6);
}

// What a scan of 16 bytes found: bit k is byte k. Bytes >= 0x80 never need escaping.
struct block_bits {
  std::uint32_t escape;     // a control character (< 0x20), '"' or '\\'
  std::uint32_t non_ascii;  // >= 0x80: part of a multi-byte UTF-8 sequence (or invalid)
};

#if defined(__SSE2__)
// SSE2 is always present on x86-64: a dozen instructions for 16 bytes.
__m128i load16(const char* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

__m128i escape_lanes(__m128i v) noexcept {
  const __m128i below_space = _mm_set1_epi8(0x1F);
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, below_space), below_space);
  const __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  return _mm_or_si128(control, special);
}

block_bits scan_block(const char* p) noexcept {
  const __m128i v = load16(p);
  return {static_cast<std::uint32_t>(_mm_movemask_epi8(escape_lanes(v))),
          static_cast<std::uint32_t>(_mm_movemask_epi8(v))};
}

// 64 bytes at once, only whether any needs escaping or is not ASCII (long runs of
// plain text, a body's usual content, are skipped at well under one instruction a byte).
block_bits scan_wide(const char* p) noexcept {
  const __m128i a = load16(p), b = load16(p + 16), c = load16(p + 32), d = load16(p + 48);
  const __m128i escape = _mm_or_si128(_mm_or_si128(escape_lanes(a), escape_lanes(b)),
                                      _mm_or_si128(escape_lanes(c), escape_lanes(d)));
  const __m128i all = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
  return {static_cast<std::uint32_t>(_mm_movemask_epi8(escape)), static_cast<std::uint32_t>(_mm_movemask_epi8(all))};
}

bool block_is_ascii(const char* p) noexcept { return _mm_movemask_epi8(load16(p)) == 0; }

bool wide_is_ascii(const char* p) noexcept {
  const __m128i all = _mm_or_si128(_mm_or_si128(load16(p), load16(p + 16)), _mm_or_si128(load16(p + 32), load16(p + 48)));
  return _mm_movemask_epi8(all) == 0;
}
#else
block_bits scan_block(const char* p) noexcept {
  block_bits bits{0, 0};
  for (unsigned k = 0; k < 16; ++k) {
    const auto c = static_cast<unsigned char>(p[k]);
    if (c >= 0x80) bits.non_ascii |= 1u << k;
    else if (escape_table[c] != 0) bits.escape |= 1u << k;
  }
  return bits;
}

block_bits scan_wide(const char* p) noexcept {
  block_bits bits{0, 0};
  for (unsigned k = 0; k < 64; k += 16) {
    const block_bits b = scan_block(p + k);
    bits.escape |= b.escape;
    bits.non_ascii |= b.non_ascii;
  }
  return bits;
}

bool block_is_ascii(const char* p) noexcept {
  std::uint64_t halves[2];
  std::memcpy(halves, p, sizeof halves);
  return ((halves[0] | halves[1]) & 0x8080808080808080u) == 0;
}

bool wide_is_ascii(const char* p) noexcept {
  return block_is_ascii(p) && block_is_ascii(p + 16) && block_is_ascii(p + 32) && block_is_ascii(p + 48);
}
#endif

// A short name of plain printable ASCII with nothing to escape, as member names
// nearly always are: written without the general escaper's setup.
bool is_plain_short_name(std::string_view text) noexcept {
  if (text.size() > 32) return false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

bool is_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if (!wide_is_ascii(p + i)) return false;
  }
  for (; i + 16 <= n; i += 16) {
    if (!block_is_ascii(p + i)) return false;
  }
  unsigned char rest = 0;  // fewer than 16 bytes
  for (; i < n; ++i) rest |= static_cast<unsigned char>(p[i]);
  return rest < 0x80;
}

}  // namespace

// ASCII, most text, is checked here; only text with other bytes goes to simdjson's
// validator (the CPU's best kernel, chosen at run time), whose dispatch costs more than
// checking a short ASCII string.
bool is_valid_utf8(std::string_view text) noexcept {
  return is_ascii(text) || simdjson::validate_utf8(text.data(), text.size());
}

namespace {

// Writes the escapes `escape` marks in the 16 bytes at p + at (bit k: byte at + k),
// first copying the plain bytes before each.
void append_escapes(std::string& out, const char* p, std::size_t at, std::uint32_t escape, std::size_t& run) {
  for (; escape != 0; escape &= escape - 1) {
    const std::size_t i = at + static_cast<std::size_t>(std::countr_zero(escape));
    out.append(p + run, i - run);
    append_escape(out, static_cast<unsigned char>(p[i]));
    run = i + 1;
  }
}

}  // namespace

// One pass finds both the bytes to escape and whether the text is all ASCII; only text
// that is not is then validated as UTF-8. Runs between escapes are copied whole.
std::error_code append_quoted(std::string& out, std::string_view text) {
  const char* p = text.data();
  const std::size_t n = text.size();
  const std::size_t mark = out.size();
  out.reserve(mark + n + 2);
  out.push_back('"');
  std::size_t run = 0;  // the first byte not yet copied
  std::uint32_t non_ascii = 0;
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const block_bits wide = scan_wide(p + i);
    non_ascii |= wide.non_ascii;
    if (wide.escape == 0) continue;
    for (std::size_t k = i; k < i + 64; k += 16) append_escapes(out, p, k, scan_block(p + k).escape, run);
  }
  for (; i + 16 <= n; i += 16) {
    const block_bits bits = scan_block(p + i);
    non_ascii |= bits.non_ascii;
    append_escapes(out, p, i, bits.escape, run);
  }
  // Fewer than 16 bytes left (all of most keys, tags and titles): scanned as one block
  // from a copy, cheaper than byte by byte; the copy's padding is masked out.
  if (i < n) {
    char tail[16] = {};
    std::memcpy(tail, p + i, n - i);
    const block_bits bits = scan_block(tail);
    const std::uint32_t present = (1u << (n - i)) - 1;
    non_ascii |= bits.non_ascii & present;
    append_escapes(out, p, i, bits.escape & present, run);
  }
  out.append(p + run, n - run);
  out.push_back('"');
  if (non_ascii != 0 && !simdjson::validate_utf8(p, n)) {
    out.resize(mark);
    return make_error_code(errc::invalid_utf8);
  }
  return {};
}

// The shortest text that reads back as the same double; one that looks like an integer
// ("2") gets ".0", or a reader would take it for an integer.
std::error_code append_number(std::string& out, double v) {
  if (!std::isfinite(v)) return make_error_code(errc::invalid_argument);
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
  if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr) out.append(".0", 2);
  return {};
}

void writer::fail(errc e) noexcept {
  if (!error_) error_ = make_error_code(e);
}

bool writer::in_object() const noexcept {
  return depth_ > 0 && ((is_object_ >> (depth_ - 1)) & 1u) != 0;
}

// Checks that a value may come here and writes the comma before it if one is due.
bool writer::before_value() {
  if (error_) return false;
  if (depth_ == 0) {
    if (wrote_top_) {
      fail(errc::invalid_argument);
      return false;
    }
    wrote_top_ = true;
    return true;
  }
  if (in_object()) {
    if (!after_key_) {
      fail(errc::invalid_argument);
      return false;
    }
    after_key_ = false;
    return true;
  }
  const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
  if (has_items_ & bit) out_->push_back(',');
  has_items_ |= bit;
  return true;
}

bool writer::open(char c, bool is_object) {
  if (!error_ && depth_ == max_depth) fail(errc::invalid_argument);
  if (!before_value()) return false;
  const std::uint64_t bit = std::uint64_t{1} << depth_;
  is_object_ = is_object ? (is_object_ | bit) : (is_object_ & ~bit);
  has_items_ &= ~bit;
  ++depth_;
  out_->push_back(c);
  return true;
}

bool writer::close(char c, bool is_object) {
  if (error_) return false;
  if (depth_ == 0 || in_object() != is_object || after_key_) {
    fail(errc::invalid_argument);
    return false;
  }
  --depth_;
  out_->push_back(c);
  return true;
}

writer& writer::begin_object() {
  open('{', true);
  return *this;
}

writer& writer::end_object() {
  close('}', true);
  return *this;
}

writer& writer::begin_array() {
  open('[', false);
  return *this;
}

writer& writer::end_array() {
  close(']', false);
  return *this;
}

writer& writer::key(std::string_view name) {
  if (error_) return *this;
  if (!in_object() || after_key_) {
    fail(errc::invalid_argument);
    return *this;
  }
  const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
  const std::size_t mark = out_->size();
  if (has_items_ & bit) out_->push_back(',');
  if (is_plain_short_name(name)) {
    out_->push_back('"');
    out_->append(name);
    out_->append("\":", 2);
  } else if (append_quoted(*out_, name)) {
    out_->resize(mark);
    fail(errc::invalid_utf8);
    return *this;
  } else {
    out_->push_back(':');
  }
  has_items_ |= bit;
  after_key_ = true;
  return *this;
}

writer& writer::string(std::string_view text) {
  if (error_) return *this;
  // Validation may fail after the comma is written: remember where to roll back to,
  // and the state, since before_value() changes it.
  const std::size_t mark = out_->size();
  const auto saved_items = has_items_;
  const bool saved_after_key = after_key_, saved_top = wrote_top_;
  if (!before_value()) return *this;
  if (append_quoted(*out_, text)) {
    out_->resize(mark);
    has_items_ = saved_items;
    after_key_ = saved_after_key;
    wrote_top_ = saved_top;
    fail(errc::invalid_utf8);
  }
  return *this;
}

writer& writer::int64(std::int64_t v) {
  if (!before_value()) return *this;
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}

writer& writer::uint64(std::uint64_t v) {
  if (!before_value()) return *this;
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}

writer& writer::number(double v) {
  if (!error_ && !std::isfinite(v)) fail(errc::invalid_argument);
  if (before_value()) append_number(*out_, v);
  return *this;
}

writer& writer::boolean(bool v) {
  if (before_value()) out_->append(v ? "true" : "false");
  return *this;
}

writer& writer::null() {
  if (before_value()) out_->append("null");
  return *this;
}

writer& writer::raw(std::string_view json) {
  if (before_value()) out_->append(json);
  return *this;
}

}  // namespace codex::json
