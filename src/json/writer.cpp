#include <codex/json/writer.hpp>

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <charconv>
#include <cmath>

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

}  // namespace

// simdjson's validator runs on the CPU's best kernel (chosen at run time): several
// times faster than a byte loop on long bodies, and one pass.
bool is_valid_utf8(std::string_view text) noexcept { return simdjson::validate_utf8(text.data(), text.size()); }

namespace {

// Whether any of the 16 bytes at `p` needs escaping: a control character (< 0x20), '"'
// or '\\'. GCC's vector extensions compile this to SSE2 on x86-64 (always present) and
// NEON on arm64: a handful of instructions per 16 bytes. Bytes >= 0x80 never match.
using bytes16 = unsigned char __attribute__((vector_size(16)));

bool block_needs_escape(const char* p) noexcept {
  bytes16 block;
  std::memcpy(&block, p, sizeof block);
  const auto lanes = (block < 0x20) | (block == '"') | (block == '\\');
  std::uint64_t halves[2];
  std::memcpy(halves, &lanes, sizeof halves);
  return (halves[0] | halves[1]) != 0;
}

}  // namespace

std::error_code append_quoted(std::string& out, std::string_view text) {
  if (!is_valid_utf8(text)) return make_error_code(errc::invalid_utf8);
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  // Skip 16 clean bytes at a time; copy runs that need no escaping in one append.
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 16 <= text.size() && !block_needs_escape(text.data() + i)) {
      i += 16;
      continue;
    }
    const std::size_t end = std::min(text.size(), i + 16);
    for (; i < end; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x80 || escape_table[c] == 0) continue;
      out.append(text.data() + run, i - run);
      append_escape(out, c);
      run = i + 1;
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
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
  if (auto ec = append_quoted(*out_, name)) {
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
  if (!before_value()) return *this;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
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
