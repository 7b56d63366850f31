#include <codex/json/writer.hpp>

#include "json/scan_kernel.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CODEX_JSON_AVX2_SCAN 1
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

// Bytes that a JSON string holds as themselves and that need no UTF-8 check: the
// ASCII bytes escape_table leaves as they are.
constexpr std::array<bool, 256> plain_ascii = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x80; ++c) t[c] = escape_table[c] == 0;
  return t;
}();

// A default-made std::error_code calls std::system_category(), out of line, each time:
// a batch's strings are hundreds of successes. This one is made once, then copied.
const std::error_code& success() noexcept {
  static const std::error_code ok;
  return ok;
}

// Short strings (names, tags, titles, ids) are most of a batch's strings, and for them
// the general path's setup (the wide scans, the tail's copy, four appends) costs more
// than the text: checked and copied in one byte loop into `quoted`, then appended in
// one piece. Returns false, having appended nothing, when the text is longer or holds a
// byte that is not plain ASCII.
constexpr std::size_t short_text_max = 32;

bool append_short_plain(std::string& out, std::string_view text) {
  const std::size_t n = text.size();
  if (n > short_text_max) return false;
  char quoted[short_text_max + 2];
  quoted[0] = '"';
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (!plain_ascii[static_cast<unsigned char>(c)]) return false;
    quoted[i + 1] = c;
  }
  quoted[n + 1] = '"';
  out.append(quoted, n + 2);
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

// What a scan of a whole string found: where the first byte to escape is (the size
// when none), and whether any byte is not ASCII.
struct text_scan {
  std::size_t first_escape;
  bool non_ascii;
};

// One pass over the text: 64, then 16 bytes at a time, the last few from a padded
// copy; it stops at the first byte to escape.
#if defined(CODEX_JSON_AVX2_SCAN)
// 0xFF in each byte of the 32 at `p` that is below ' ' as a signed byte (a control
// character or part of a multi-byte one), '"' or '\\'.
__attribute__((target("avx2"), always_inline)) inline __m256i flagged_bytes(const char* p) noexcept {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm256_or_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(' '), v),
                         _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))));
}

// The 64-byte loop with 32-byte registers, on CPUs that have them (chosen at run time:
// the library is built for baseline x86-64): half the instructions a byte of SSE2's.
__attribute__((target("avx2"))) std::size_t skip_plain_avx2(const char* p, std::size_t n, std::uint32_t& non_ascii) noexcept {
  // As signed bytes, both the control characters and every byte of a multi-byte
  // character are below ' ': one comparison flags both, and only a flagged block is
  // looked at again to tell them apart.
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
  const __m256i below_space = _mm256_set1_epi8(0x1F);
  const __m256i all = _mm256_set1_epi8(-1);
  std::size_t i = 0;
  // 128 plain bytes an iteration (a body's usual run); the first flagged block ends it,
  // and the 64-byte loop below looks at it.
  for (; i + 128 <= n; i += 128) {
    const __m256i any = _mm256_or_si256(_mm256_or_si256(flagged_bytes(p + i), flagged_bytes(p + i + 32)),
                                        _mm256_or_si256(flagged_bytes(p + i + 64), flagged_bytes(p + i + 96)));
    if (!_mm256_testz_si256(any, all)) break;
  }
  for (; i + 64 <= n; i += 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    if (_mm256_testz_si256(_mm256_or_si256(flagged_bytes(p + i), flagged_bytes(p + i + 32)), all)) continue;
    non_ascii |= static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(a, b)));
    // A control character (< 0x20 unsigned), '"' or '\\' in either half?
    const __m256i control = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(a, below_space), below_space),
                                            _mm256_cmpeq_epi8(_mm256_max_epu8(b, below_space), below_space));
    const __m256i quotes = _mm256_or_si256(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(b, quote));
    const __m256i backslashes = _mm256_or_si256(_mm256_cmpeq_epi8(a, backslash), _mm256_cmpeq_epi8(b, backslash));
    if (_mm256_movemask_epi8(_mm256_or_si256(control, _mm256_or_si256(quotes, backslashes))) != 0) break;
  }
  return i;
}

std::atomic<bool> use_avx2{__builtin_cpu_supports("avx2") != 0};
#endif

text_scan scan_text(const char* p, std::size_t n) noexcept {
  std::uint32_t non_ascii = 0;
  std::size_t i = 0;
#if defined(CODEX_JSON_AVX2_SCAN)
  if (use_avx2.load(std::memory_order_relaxed)) i = skip_plain_avx2(p, n, non_ascii);
#endif
  for (; i + 64 <= n; i += 64) {
    const block_bits wide = scan_wide(p + i);
    non_ascii |= wide.non_ascii;
    if (wide.escape != 0) break;
  }
  for (; i + 16 <= n; i += 16) {
    const block_bits bits = scan_block(p + i);
    non_ascii |= bits.non_ascii;
    if (bits.escape != 0) return {i + static_cast<std::size_t>(std::countr_zero(bits.escape)), true};
  }
  if (i < n) {
    char tail[16] = {};
    std::memcpy(tail, p + i, n - i);
    const block_bits bits = scan_block(tail);
    const std::uint32_t present = (1u << (n - i)) - 1;
    non_ascii |= bits.non_ascii & present;
    if (const std::uint32_t escape = bits.escape & present; escape != 0)
      return {i + static_cast<std::size_t>(std::countr_zero(escape)), true};
  }
  return {n, non_ascii != 0};
}

// The escapes `escape` marks in the 16 bytes at p + at (bit k: byte at + k), each
// after the plain bytes before it.
void append_escapes(std::string& out, const char* p, std::size_t at, std::uint32_t escape, std::size_t& run) {
  for (; escape != 0; escape &= escape - 1) {
    const std::size_t i = at + static_cast<std::size_t>(std::countr_zero(escape));
    out.append(p + run, i - run);
    append_escape(out, static_cast<unsigned char>(p[i]));
    run = i + 1;
  }
}

// Appends text[from, n) escaped, `from` being the first byte to escape: 16 bytes at a
// time (text with one newline usually has more), runs between escapes copied whole.
void append_escaped_from(std::string& out, const char* p, std::size_t n, std::size_t from) {
  std::size_t run = from;  // the first byte not yet copied
  std::size_t i = from;
  for (; i + 16 <= n; i += 16) append_escapes(out, p, i, scan_block(p + i).escape, run);
  if (i < n) {
    char tail[16] = {};
    std::memcpy(tail, p + i, n - i);
    append_escapes(out, p, i, scan_block(tail).escape & ((1u << (n - i)) - 1), run);
  }
  out.append(p + run, n - run);
}

}  // namespace

bool detail::use_wide_scan(bool wanted) noexcept {
#if defined(CODEX_JSON_AVX2_SCAN)
  const bool able = __builtin_cpu_supports("avx2") != 0;
  use_avx2.store(wanted && able, std::memory_order_relaxed);
  return wanted && able;
#else
  (void)wanted;
  return false;
#endif
}

// Most strings hold nothing to escape: a short one is checked and copied in one loop;
// a longer one takes one scan, then one copy. A string with an escape is copied whole
// up to it, then escaped byte by byte from there. Only text that is not all ASCII is
// validated as UTF-8 (by simdjson's run-time kernel).
std::error_code append_quoted(std::string& out, std::string_view text) {
  if (append_short_plain(out, text)) return success();
  const char* p = text.data();
  const std::size_t n = text.size();
  const text_scan scan = scan_text(p, n);
  if (scan.non_ascii && !simdjson::validate_utf8(p, n)) return make_error_code(errc::invalid_utf8);
  out.reserve(out.size() + n + 2);
  out.push_back('"');
  out.append(p, scan.first_escape);
  if (scan.first_escape < n) append_escaped_from(out, p, n, scan.first_escape);
  out.push_back('"');
  return success();
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
  if (append_quoted(*out_, name)) {
    out_->resize(mark);
    fail(errc::invalid_utf8);
    return *this;
  }
  out_->push_back(':');
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
