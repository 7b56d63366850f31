#pragma once
// codex::json::writer — a small streaming JSON writer that appends to a std::string.

#include <codex/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace codex::json {

/// Appends JSON text to a caller-owned std::string, one token at a time.
///
/// Commas and colons are written automatically; strings are escaped (`"`, `\`, the
/// short forms `\b` `\f` `\n` `\r` `\t`, other control characters as `\u00XX`) and validated as
/// UTF-8, non-ASCII characters passing through unescaped. The only allocation is the
/// output string's own growth.
///
/// Errors are recorded, not thrown: the first failure is kept in error(), the call
/// that failed leaves the output as it was before it, and every later call does
/// nothing. Failures: errc::invalid_utf8 (a string or key that is not UTF-8),
/// errc::invalid_argument (a non-finite double; a key outside an object or a value in
/// an object without a key; a mismatched end_*; nesting deeper than max_depth).
///
/// Thread-safety: none; one writer per thread, and the string must not be touched by
/// anyone else while the writer is in use.
class writer {
 public:
  /// Containers may nest this deep (the writer keeps its state in two 64-bit words).
  static constexpr unsigned max_depth = 64;

  /// Writes into `out`, after whatever it already holds.
  explicit writer(std::string& out) noexcept : out_(&out) {}

  /// `{`
  writer& begin_object();
  /// `}`; fails unless the innermost open container is an object awaiting a key.
  writer& end_object();
  /// `[`
  writer& begin_array();
  /// `]`; fails unless the innermost open container is an array.
  writer& end_array();
  /// A member name inside an object, followed by `:`.
  writer& key(std::string_view name);

  /// A string value (escaped, UTF-8 checked).
  writer& string(std::string_view text);
  /// A signed integer value.
  writer& int64(std::int64_t v);
  /// An unsigned integer value.
  writer& uint64(std::uint64_t v);
  /// A double in its shortest round-trip form, always read back as a double (2.0 is
  /// written "2.0", not "2"); NaN and infinities fail.
  writer& number(double v);
  /// `true` or `false`.
  writer& boolean(bool v);
  /// `null`.
  writer& null();
  /// Already-encoded JSON, copied as is (the caller vouches for its validity).
  writer& raw(std::string_view json);

  /// The first failure, or an empty error_code.
  std::error_code error() const noexcept { return error_; }
  /// True when every container opened has been closed and no error occurred.
  bool complete() const noexcept { return !error_ && depth_ == 0 && wrote_top_; }
  /// The string being written.
  const std::string& str() const noexcept { return *out_; }

 private:
  bool before_value();
  bool open(char c, bool is_object);
  bool close(char c, bool is_object);
  void fail(errc e) noexcept;
  bool in_object() const noexcept;

  std::string* out_;
  std::error_code error_;
  std::uint64_t is_object_ = 0;   // bit d-1: the container at depth d is an object
  std::uint64_t has_items_ = 0;   // bit d-1: that container already holds an item
  unsigned depth_ = 0;
  bool after_key_ = false;
  bool wrote_top_ = false;
};

/// Appends `text` to `out` as a quoted, escaped JSON string. Returns
/// errc::invalid_utf8 (leaving `out` as it was) when `text` is not valid UTF-8.
/// Thread-safe for distinct `out` strings.
std::error_code append_quoted(std::string& out, std::string_view text);

/// Appends `v` as the shortest JSON number that reads back as the same double, with
/// ".0" when it would otherwise read as an integer ("2.0"). Returns
/// errc::invalid_argument (appending nothing) for NaN and infinities.
std::error_code append_number(std::string& out, double v);

/// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, no code
/// point above U+10FFFF). Thread-safe.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace codex::json
