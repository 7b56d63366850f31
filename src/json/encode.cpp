#include <codex/json/encode.hpp>
#include <codex/json/writer.hpp>

namespace codex::json {
namespace {

void write_metadata(writer& w, const metadata& items) {
  w.begin_object();
  for (const auto& [key, value] : items) {
    w.key(key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) w.null();
          else if constexpr (std::is_same_v<T, bool>) w.boolean(v);
          else if constexpr (std::is_same_v<T, std::int64_t>) w.int64(v);
          else if constexpr (std::is_same_v<T, double>) w.number(v);
          else if constexpr (std::is_same_v<T, std::string>) w.string(v);
          else w.raw(v.text);
        },
        value);
  }
  w.end_object();
}

void write_tags(writer& w, const std::vector<std::string>& tags) {
  w.begin_array();
  for (const auto& tag : tags) w.string(tag);
  w.end_array();
}

// About the encoded size of an input (exact when nothing needs escaping and numbers
// are short): a batch body is then allocated once, not regrown and copied as it fills.
std::size_t size_hint(const document_input& input) {
  constexpr std::size_t fixed = sizeof R"({"id":"","title":"","body":"","tags":[],"metadata":{},"public":false},)";
  std::size_t n = fixed + (input.id ? input.id->size() : 0) + input.title.size() + input.body.size();
  for (const auto& tag : input.tags) n += tag.size() + 3;
  for (const auto& [key, value] : input.metadata) {
    n += key.size() + 4 + 24;  // "key": and a number, or the string's quotes
    if (const auto* text = std::get_if<std::string>(&value)) n += text->size();
  }
  return n;
}

void write_input(writer& w, const document_input& input) {
  w.begin_object();
  if (input.id) w.key("id").string(*input.id);
  w.key("title").string(input.title);
  w.key("body").string(input.body);
  w.key("tags");
  write_tags(w, input.tags);
  w.key("metadata");
  write_metadata(w, input.metadata);
  w.key("public").boolean(input.is_public);
  w.end_object();
}

}  // namespace

std::error_code encode(const document_input& input, std::string& out) {
  writer w(out);
  write_input(w, input);
  return w.error();
}

std::error_code encode(const document& doc, std::string& out) {
  writer w(out);
  w.begin_object().key("id").string(doc.id).key("project_id").string(doc.project_id);
  w.key("title").string(doc.title).key("body").string(doc.body).key("tags");
  write_tags(w, doc.tags);
  w.key("metadata");
  write_metadata(w, doc.metadata);
  w.key("public").boolean(doc.is_public).key("version").int64(doc.version);
  w.key("created_at").string(doc.created_at).key("updated_at").string(doc.updated_at);
  w.end_object();
  return w.error();
}

std::error_code encode(const document_patch& patch, std::string& out) {
  writer w(out);
  w.begin_object();
  if (patch.title) w.key("title").string(*patch.title);
  if (patch.body) w.key("body").string(*patch.body);
  if (patch.tags) {
    w.key("tags");
    write_tags(w, *patch.tags);
  }
  if (patch.metadata) {
    w.key("metadata");
    write_metadata(w, *patch.metadata);
  }
  if (patch.is_public) w.key("public").boolean(*patch.is_public);
  w.end_object();
  return w.error();
}

std::error_code encode_batch(std::span<const document_input> items, std::string& out) {
  std::size_t hint = out.size() + sizeof R"({"items":[]})";
  for (const auto& item : items) hint += size_hint(item);
  out.reserve(hint);
  writer w(out);
  w.begin_object().key("items").begin_array();
  for (const auto& item : items) write_input(w, item);
  w.end_array().end_object();
  return w.error();
}

std::error_code encode_ids(std::span<const std::string> ids, std::string& out) {
  writer w(out);
  w.begin_object().key("ids").begin_array();
  for (const auto& id : ids) w.string(id);
  w.end_array().end_object();
  return w.error();
}

std::error_code encode_token_request(std::string_view client_id, std::string_view client_secret,
                                     std::string_view scope, std::string& out) {
  writer w(out);
  w.begin_object().key("client_id").string(client_id).key("client_secret").string(client_secret);
  if (!scope.empty()) w.key("scope").string(scope);
  w.end_object();
  return w.error();
}

}  // namespace codex::json
