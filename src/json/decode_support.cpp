#include "json/decode_support.hpp"

#include <limits>

namespace codex::json::detail {

using simdjson::ondemand::json_type;
using simdjson::ondemand::number_type;
using simdjson::ondemand::value;

error_info to_error(const failure& f, std::string_view model) {
  std::string message = std::string(model) + ": ";
  message += f.code == simdjson::NO_SUCH_FIELD ? "missing required field " : "bad or truncated field ";
  message += f.field;
  if (f.code != simdjson::NO_SUCH_FIELD) {
    message += " (";
    message += simdjson::error_message(f.code);
    message += ")";
  }
  return error_info{.code = make_error_code(errc::decode_error), .message = std::move(message)};
}

bool read_escaped(value v, std::string& out, std::string_view field, failure& f) {
  std::string_view text;
  if (f.set(field, v.get_string().get(text))) return false;
  out.assign(text);
  return true;
}

bool read_optional(value v, std::optional<std::string>& out, std::string_view field, failure& f) {
  bool is_null = false;
  if (f.set(field, v.is_null().get(is_null))) return false;
  if (is_null) {
    out.reset();
    return true;
  }
  if (!out) out.emplace();  // a string already there keeps its capacity
  return read(v, *out, field, f);
}

bool read(value v, std::vector<std::string>& out, std::string_view field, failure& f) {
  simdjson::ondemand::array array;
  if (f.set(field, v.get_array().get(array))) return false;
  std::size_t count = 0;
  for (auto element : array) {
    value item;
    if (f.set(field, std::move(element).get(item))) return false;
    if (!read(item, reused_slot(out, count++), field, f)) return false;
  }
  out.resize(count);
  return true;
}

namespace {

/// Raw JSON text into `out`, into the raw_json already there when it is one.
void assign_raw(metadata_value& out, std::string_view raw) {
  auto* held = std::get_if<raw_json>(&out);
  if (held == nullptr) held = &out.emplace<raw_json>();
  held->text.assign(raw);
}

bool read_metadata_value(value v, metadata_value& out, std::string_view field, failure& f) {
  json_type type;
  if (f.set(field, v.type().get(type))) return false;
  switch (type) {
    case json_type::string: {
      auto* text = std::get_if<std::string>(&out);  // reused with its capacity when it is one
      if (text == nullptr) text = &out.emplace<std::string>();
      return read(v, *text, field, f);
    }
    case json_type::number: {
      number_type kind;
      if (f.set(field, v.get_number_type().get(kind))) return false;
      if (kind == number_type::signed_integer) {
        std::int64_t n = 0;
        if (f.set(field, v.get_int64().get(n))) return false;
        out = n;
        return true;
      }
      if (kind == number_type::unsigned_integer) {  // only those beyond int64's range
        // Kept exact as its own text: a double would round it.
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
          raw.remove_suffix(1);
        assign_raw(out, raw);
        return true;
      }
      double d = 0;
      if (f.set(field, v.get_double().get(d))) return false;
      out = d;
      return true;
    }
    case json_type::boolean: {
      bool b = false;
      if (f.set(field, v.get_bool().get(b))) return false;
      out = b;
      return true;
    }
    case json_type::null: {
      bool is_null = false;
      if (f.set(field, v.is_null().get(is_null)) || !is_null) return !f.set(field, simdjson::INCORRECT_TYPE);
      out = nullptr;
      return true;
    }
    case json_type::object: {
      simdjson::ondemand::object nested;
      std::string_view raw;
      if (f.set(field, v.get_object().get(nested)) || f.set(field, nested.raw_json().get(raw))) return false;
      assign_raw(out, raw);
      return true;
    }
    case json_type::array: {
      simdjson::ondemand::array nested;
      std::string_view raw;
      if (f.set(field, v.get_array().get(nested)) || f.set(field, nested.raw_json().get(raw))) return false;
      assign_raw(out, raw);
      return true;
    }
  }
  return !f.set(field, simdjson::INCORRECT_TYPE);
}

enum class document_key { id, project_id, title, body, tags, metadata, is_public, version, created_at, updated_at, unknown };

// A switch on the key's length first: one comparison for most keys.
document_key classify_document_key(std::string_view k) {
  switch (k.size()) {
    case 2: if (k == "id") return document_key::id; break;
    case 4:
      if (k == "body") return document_key::body;
      if (k == "tags") return document_key::tags;
      break;
    case 5: if (k == "title") return document_key::title; break;
    case 6: if (k == "public") return document_key::is_public; break;
    case 7: if (k == "version") return document_key::version; break;
    case 8: if (k == "metadata") return document_key::metadata; break;
    case 10:
      if (k == "project_id") return document_key::project_id;
      if (k == "created_at") return document_key::created_at;
      if (k == "updated_at") return document_key::updated_at;
      break;
    default: break;
  }
  return document_key::unknown;
}

constexpr const char* document_required_names[] = {"document.id", "document.project_id", "document.version",
                                                   "document.created_at", "document.updated_at"};

}  // namespace

bool read(value v, metadata& out, std::string_view field, failure& f) {
  simdjson::ondemand::object object;
  if (f.set(field, v.get_object().get(object))) return false;
  std::size_t count = 0;
  for (auto member : object) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set(field, detail::next_member(std::move(member), entry, key))) return false;
    auto& [name, item] = reused_slot(out, count++);
    name.assign(key);
    if (!read_metadata_value(entry.value(), item, field, f)) return false;
  }
  out.resize(count);
  return true;
}

bool read(value v, document& out, std::string_view field, failure& f) {
  simdjson::ondemand::object object;
  if (f.set(field, v.get_object().get(object))) return false;
  required_fields required;
  // Optional fields absent from this object must not keep what a reused model held.
  bool seen_title = false, seen_body = false, seen_tags = false, seen_metadata = false, seen_public = false;
  for (auto member : object) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set(field, detail::next_member(std::move(member), entry, key))) return false;
    value item = entry.value();
    bool ok = true;
    switch (classify_document_key(key)) {
      case document_key::id: ok = read(item, out.id, "document.id", f), required.mark(0); break;
      case document_key::project_id: ok = read(item, out.project_id, "document.project_id", f), required.mark(1); break;
      case document_key::version: ok = read(item, out.version, "document.version", f), required.mark(2); break;
      case document_key::created_at: ok = read(item, out.created_at, "document.created_at", f), required.mark(3); break;
      case document_key::updated_at: ok = read(item, out.updated_at, "document.updated_at", f), required.mark(4); break;
      case document_key::title: ok = read(item, out.title, "document.title", f), seen_title = true; break;
      case document_key::body: ok = read(item, out.body, "document.body", f), seen_body = true; break;
      case document_key::tags: ok = read(item, out.tags, "document.tags", f), seen_tags = true; break;
      case document_key::metadata: ok = read(item, out.metadata, "document.metadata", f), seen_metadata = true; break;
      case document_key::is_public: ok = read(item, out.is_public, "document.public", f), seen_public = true; break;
      case document_key::unknown: break;  // forward compatible: skipped by the iterator
    }
    if (!ok) return false;
  }
  if (f) return false;  // an iteration error (e.g. truncation) ends the loop early
  if (!seen_title) out.title.clear();
  if (!seen_body) out.body.clear();
  if (!seen_tags) out.tags.clear();
  if (!seen_metadata) out.metadata.clear();
  if (!seen_public) out.is_public = false;
  return required.check(0x1f, document_required_names, f);
}

}  // namespace codex::json::detail

namespace codex::json {

std::string_view decoder_implementation() noexcept {
  // name() is a member of a process-lifetime implementation object.
  const std::string& name = simdjson::get_active_implementation()->name();
  return name;
}

}  // namespace codex::json
