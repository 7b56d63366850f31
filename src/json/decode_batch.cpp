// POST /documents/batch results.
#include "json/decode_support.hpp"

#include <codex/json/decode.hpp>

#include <algorithm>

namespace codex::json {
using detail::failure;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

namespace {

bool read_item_error(value v, item_error& out, failure& f) {
  object o;
  if (f.set("results[].error", v.get_object().get(o))) return false;
  for (auto member : o) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set("results[].error", detail::next_member(std::move(member), entry, key)))
      return false;
    if (key == "error" && !detail::read(entry.value(), out.error, "results[].error.error", f)) return false;
    if (key == "message" && !detail::read(entry.value(), out.message, "results[].error.message", f)) return false;
  }
  return !f;
}

bool read_item(value v, batch_item_result& out, failure& f) {
  object o;
  if (f.set("results[]", v.get_object().get(o))) return false;
  detail::required_fields required;
  for (auto member : o) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set("results[]", detail::next_member(std::move(member), entry, key))) return false;
    value item = entry.value();
    if (key == "index") {
      std::int64_t index = 0;
      if (!detail::read(item, index, "results[].index", f)) return false;
      if (index < 0) return !f.set("results[].index", simdjson::NUMBER_OUT_OF_RANGE);
      out.index = static_cast<std::size_t>(index);
      required.mark(0);
    } else if (key == "status") {
      std::int64_t status = 0;
      if (!detail::read(item, status, "results[].status", f)) return false;
      out.status = static_cast<int>(status);
      required.mark(1);
    } else if (key == "id") {
      if (!detail::read(item, out.id, "results[].id", f)) return false;
    } else if (key == "error") {
      if (!read_item_error(item, out.error.emplace(), f)) return false;
    }
  }
  static constexpr const char* names[] = {"results[].index", "results[].status"};
  return !f && required.check(0x3, names, f);
}

}  // namespace

result<batch_result> decode_batch_result(const std::string& body) {
  const std::size_t body_size = body.size();
  return detail::decode_object<batch_result>(body, "batch", [body_size](object& root, batch_result& out, failure& f) {
    bool have_results = false;
    for (auto member : root) {
      simdjson::ondemand::field entry;
      std::string_view key;
      if (f.set("batch", detail::next_member(std::move(member), entry, key))) return;
      value item = entry.value();
      if (key == "results") {
        simdjson::ondemand::array array;
        if (f.set("results", item.get_array().get(array))) return;
        // Room for every result at once, not regrown as they come: a result takes at
        // least 23 bytes ({"index":0,"status":0},), and a batch has at most
        // max_batch_items of them.
        out.results.reserve(std::min(body_size / 23 + 1, document_limits::max_batch_items));
        for (auto element : array) {
          value v;
          if (f.set("results", std::move(element).get(v)) || !read_item(v, out.results.emplace_back(), f)) return;
        }
        have_results = true;
      } else if (key == "succeeded" || key == "failed") {
        std::int64_t n = 0;
        if (!detail::read(item, n, key == "succeeded" ? "succeeded" : "failed", f)) return;
        (key == "succeeded" ? out.succeeded : out.failed) = static_cast<std::size_t>(n < 0 ? 0 : n);
      }
    }
    if (!f && !have_results) f.set("results", simdjson::NO_SUCH_FIELD);
  });
}

}  // namespace codex::json
