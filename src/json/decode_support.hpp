#pragma once
// The pieces every decoder shares: typed reads that name the failing field, and the
// run-to-completion wrapper that turns any simdjson failure into errc::decode_error.

#include "json/simdjson_support.hpp"

#include <codex/api/document.hpp>
#include <codex/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace codex::json::detail {

/// The first failure of a decode: which field, and what simdjson said.
struct failure {
  std::string field;
  simdjson::error_code code = simdjson::SUCCESS;

  bool set(std::string_view where, simdjson::error_code ec) {
    if (ec != simdjson::SUCCESS && code == simdjson::SUCCESS) {
      field = where;
      code = ec;
    }
    return ec != simdjson::SUCCESS;
  }
  explicit operator bool() const noexcept { return code != simdjson::SUCCESS; }
};

error_info to_error(const failure& f, std::string_view model);

/// The element at `index` of `items` to decode into: the one already there (its
/// strings keep their capacity) or a new one at the end.
template <class T>
T& reused_slot(std::vector<T>& items, std::size_t index) {
  return index < items.size() ? items[index] : items.emplace_back();
}

// Each read assigns `out` and returns true on success; on failure it records where.
// `out` may hold a previous decode: what it holds is reused (strings, vectors and
// their elements keep their capacity) and what the JSON does not name is reset.

/// A string with an escape: unescaped by simdjson (read() takes the rest inline).
bool read_escaped(simdjson::ondemand::value value, std::string& out, std::string_view field, failure& f);

/// A string without escapes (nearly every string of the API) is copied straight from
/// the JSON text and the value left unconsumed: the object or array iterator steps over
/// a scalar it was not asked for. The general path would unescape it into simdjson's
/// string buffer first, and copy it from there. Inline, as the integer read below:
/// the decoders read thousands a page, and a call costs more than the read.
inline bool read(simdjson::ondemand::value value, std::string& out, std::string_view field, failure& f) {
  const char* raw = value.raw_json_token().data();
  if (raw[0] == '"') {
    const std::size_t n = plain_length(raw + 1);
    if (raw[n + 1] == '"') {  // no escape: the text is its own value, UTF-8 checked by stage 1
      out.assign(raw + 1, n);
      return true;
    }
  }
  return read_escaped(value, out, field, f);
}

inline bool read(simdjson::ondemand::value value, std::int64_t& out, std::string_view field, failure& f) {
  return !f.set(field, value.get_int64().get(out));
}

inline bool read(simdjson::ondemand::value value, bool& out, std::string_view field, failure& f) {
  return !f.set(field, value.get_bool().get(out));
}

bool read_optional(simdjson::ondemand::value value, std::optional<std::string>& out, std::string_view field, failure& f);
bool read(simdjson::ondemand::value value, std::vector<std::string>& out, std::string_view field, failure& f);
bool read(simdjson::ondemand::value value, metadata& out, std::string_view field, failure& f);
/// A document object (used by the page and batch_get decoders too).
bool read(simdjson::ondemand::value value, document& out, std::string_view field, failure& f);

/// True when the whole document has been consumed (simdjson 3.0.1's document has no
/// public at_end(): its current location is OUT_OF_BOUNDS exactly at the end).
inline bool at_end(simdjson::ondemand::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

/// Parses `body` and hands the root object to `fill(object, out, failure&)`; then
/// checks that nothing follows the root. Maps every failure to errc::decode_error.
template <class T, class Fill>
result<void> decode_object_into(const std::string& body, std::string_view model, T& out, Fill fill) {
  simdjson::padded_string scratch;
  failure f;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (!f.set("(root)", thread_parser().iterate(padded_view(body, scratch)).get(doc)) &&
      !f.set("(root)", doc.get_object().get(root))) {
    fill(root, out, f);
    if (!f && !at_end(doc)) f.set("(after root)", simdjson::TRAILING_CONTENT);
  }
  if (f) return to_error(f, model);
  return {};
}

/// decode_object_into a new T.
template <class T, class Fill>
result<T> decode_object(const std::string& body, std::string_view model, Fill fill) {
  T out{};
  if (auto decoded = decode_object_into(body, model, out, fill); !decoded) return std::move(decoded).error();
  return out;
}

/// Marks a required field as seen; at the end, reports the first one missing.
struct required_fields {
  unsigned seen = 0;
  void mark(unsigned bit) { seen |= 1u << bit; }
  bool check(unsigned all_bits_mask, const char* const* names, failure& f) const {
    const unsigned missing = all_bits_mask & ~seen;
    if (missing == 0) return true;
    f.set(names[__builtin_ctz(missing)], simdjson::NO_SUCH_FIELD);
    return false;
  }
};

}  // namespace codex::json::detail
