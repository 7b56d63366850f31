#include "emulator/document.hpp"

#include "emulator/time_format.hpp"

#include <codex/json/writer.hpp>

namespace codex::emulator {
namespace {

void write_metadata_value(json::writer& w, const metadata_value& v) {
  struct visitor {
    json::writer& w;
    void operator()(std::nullptr_t) const { w.null(); }
    void operator()(bool b) const { w.boolean(b); }
    void operator()(std::int64_t i) const { w.int64(i); }
    void operator()(std::uint64_t u) const { w.uint64(u); }
    void operator()(double d) const { w.number(d); }
    void operator()(const std::string& s) const { w.string(s); }
  };
  std::visit(visitor{w}, v);
}

api_error too_long(std::string_view field, std::size_t max, std::string_view unit) {
  return {422, "invalid_field",
          std::string(field) + ": at most " + std::to_string(max) + " " + std::string(unit)};
}

}  // namespace

void document_input::apply_to(document& doc) const {
  if (title) doc.title = *title;
  if (body) doc.body = *body;
  if (tags) doc.tags = *tags;
  if (metadata) doc.metadata = *metadata;
  if (is_public) doc.is_public = *is_public;
}

void write_document(json::writer& w, const document& doc) {
  w.begin_object()
      .key("id").string(doc.id)
      .key("project_id").string(doc.project_id)
      .key("title").string(doc.title)
      .key("body").string(doc.body)
      .key("tags").begin_array();
  for (const auto& t : doc.tags) w.string(t);
  w.end_array().key("metadata").begin_object();
  for (const auto& [k, v] : doc.metadata) {
    w.key(k);
    write_metadata_value(w, v);
  }
  w.end_object()
      .key("public").boolean(doc.is_public)
      .key("version").uint64(doc.version)
      .key("created_at").string(format_rfc3339(doc.created_at))
      .key("updated_at").string(format_rfc3339(doc.updated_at))
      .end_object();
}

bool is_valid_document_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<api_error> validate(const document_input& in, const field_limits& limits) {
  if (in.id && !is_valid_document_id(*in.id)) {
    return api_error{422, "invalid_field", "id: 1 to 128 characters of A-Z a-z 0-9 . _ -"};
  }
  if (in.title && in.title->size() > limits.title_bytes) return too_long("title", limits.title_bytes, "bytes");
  if (in.body && in.body->size() > limits.body_bytes) return too_long("body", limits.body_bytes, "bytes");
  if (in.tags && in.tags->size() > limits.tags) return too_long("tags", limits.tags, "tags");
  if (in.metadata && in.metadata->size() > limits.metadata_keys) {
    return too_long("metadata", limits.metadata_keys, "keys");
  }
  return std::nullopt;
}

}  // namespace codex::emulator
