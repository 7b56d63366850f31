// Documents, pages of documents, and batch_get results.
#include "json/decode_support.hpp"

#include <codex/json/decode.hpp>

namespace codex::json {
using detail::failure;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

namespace {

bool read_documents(value v, std::vector<document>& out, std::string_view field, failure& f) {
  simdjson::ondemand::array array;
  if (f.set(field, v.get_array().get(array))) return false;
  std::size_t count = 0;
  for (auto element : array) {
    value item;
    if (f.set(field, std::move(element).get(item))) return false;
    if (!detail::read(item, detail::reused_slot(out, count++), field, f)) return false;
  }
  out.resize(count);
  return true;
}

void fill_page(object& root, page<document>& out, failure& f) {
  bool have_data = false, have_cursor = false;
  for (auto member : root) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set("page", detail::next_member(std::move(member), entry, key))) return;
    if (key == "data") {
      if (!read_documents(entry.value(), out.data, "page.data", f)) return;
      have_data = true;
    } else if (key == "next_cursor") {
      if (!detail::read_optional(entry.value(), out.next_cursor, "page.next_cursor", f)) return;
      have_cursor = true;
    }
  }
  if (!f && !have_data) f.set("page.data", simdjson::NO_SUCH_FIELD);
  if (!have_cursor) out.next_cursor.reset();
}

}  // namespace

result<void> decode_into(const std::string& body, document& out) {
  // A document is the root object itself: re-enter it as a value.
  simdjson::padded_string scratch;
  failure f;
  simdjson::ondemand::document doc;
  value root;
  if (!f.set("(root)", detail::thread_parser().iterate(detail::padded_view(body, scratch)).get(doc)) &&
      !f.set("(root)", doc.get_value().get(root)) && detail::read(root, out, "document", f) && !detail::at_end(doc))
    f.set("(after root)", simdjson::TRAILING_CONTENT);
  if (f) return detail::to_error(f, "document");
  return {};
}

result<document> decode_document(const std::string& body) {
  document out;
  if (auto decoded = decode_into(body, out); !decoded) return std::move(decoded).error();
  return out;
}

result<void> decode_into(const std::string& body, page<document>& out) {
  return detail::decode_object_into(body, "page", out, fill_page);
}

result<page<document>> decode_document_page(const std::string& body) {
  return detail::decode_object<page<document>>(body, "page", fill_page);
}

result<batch_get_result> decode_batch_get_result(const std::string& body) {
  return detail::decode_object<batch_get_result>(
      body, "batch_get", [](object& root, batch_get_result& out, failure& f) {
        bool have_data = false;
        for (auto member : root) {
          simdjson::ondemand::field entry;
          std::string_view key;
          if (f.set("batch_get", detail::next_member(std::move(member), entry, key))) return;
          if (key == "data") {
            if (!read_documents(entry.value(), out.data, "batch_get.data", f)) return;
            have_data = true;
          } else if (key == "missing") {
            if (!detail::read(entry.value(), out.missing, "batch_get.missing", f)) return;
          }
        }
        if (!f && !have_data) f.set("batch_get.data", simdjson::NO_SUCH_FIELD);
      });
}

}  // namespace codex::json
