#include <codex/json/encode.hpp>
#include <codex/json/writer.hpp>

#include <charconv>
#include <span>

namespace codex::json {
namespace {

// The models' shapes are fixed, so they are written as literal fragments around the
// escaped strings, without codex::json::writer's per-token checks (a key inside an
// object, the commas, the depth): on a batch those cost more than escaping the
// strings. The first error wins; finish() then takes back everything appended.
class fragments {
 public:
  explicit fragments(std::string& out) noexcept : out_(out), mark_(out.size()) {}

  fragments& literal(std::string_view json) {
    out_.append(json);
    return *this;
  }
  fragments& string(std::string_view text) {
    if (!error_) error_ = append_quoted(out_, text);
    return *this;
  }
  fragments& int64(std::int64_t v) {
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    return *this;
  }
  fragments& boolean(bool v) { return literal(v ? "true" : "false"); }
  fragments& strings(std::span<const std::string> items);  ///< [items]
  fragments& joined(std::span<const std::string> items);   ///< the items without their brackets
  fragments& metadata(const codex::metadata& items);       ///< {members}
  fragments& members(const codex::metadata& items);        ///< the members without their braces

  std::error_code finish() {
    if (error_) out_.resize(mark_);
    return error_;
  }

 private:
  std::string& out_;
  std::size_t mark_;
  std::error_code error_;
};

fragments& fragments::strings(std::span<const std::string> items) { return literal("[").joined(items).literal("]"); }

fragments& fragments::joined(std::span<const std::string> items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) literal(",");
    string(items[i]);
  }
  return *this;
}

fragments& fragments::metadata(const codex::metadata& items) { return literal("{").members(items).literal("}"); }

fragments& fragments::members(const codex::metadata& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) literal(",");
    const auto& [key, value] = items[i];
    string(key).literal(":");
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) literal("null");
          else if constexpr (std::is_same_v<T, bool>) boolean(v);
          else if constexpr (std::is_same_v<T, std::int64_t>) int64(v);
          else if constexpr (std::is_same_v<T, double>) {
            if (auto ec = append_number(out_, v); ec && !error_) error_ = ec;
          } else if constexpr (std::is_same_v<T, std::string>) string(v);
          else literal(v.text);
        },
        value);
  }
  return *this;
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

// Each run of fixed text between two values is one append (a batch has thousands).
void write_input(fragments& w, const document_input& input) {
  if (input.id) w.literal(R"({"id":)").string(*input.id).literal(R"(,"title":)");
  else w.literal(R"({"title":)");
  w.string(input.title).literal(R"(,"body":)").string(input.body);
  w.literal(R"(,"tags":[)").joined(input.tags).literal(R"(],"metadata":{)").members(input.metadata);
  w.literal(input.is_public ? R"(},"public":true})" : R"(},"public":false})");
}

}  // namespace

std::error_code encode(const document_input& input, std::string& out) {
  fragments w(out);
  write_input(w, input);
  return w.finish();
}

std::error_code encode(const document& doc, std::string& out) {
  fragments w(out);
  w.literal(R"({"id":)").string(doc.id).literal(R"(,"project_id":)").string(doc.project_id);
  w.literal(R"(,"title":)").string(doc.title).literal(R"(,"body":)").string(doc.body);
  w.literal(R"(,"tags":)").strings(doc.tags).literal(R"(,"metadata":)").metadata(doc.metadata);
  w.literal(R"(,"public":)").boolean(doc.is_public).literal(R"(,"version":)").int64(doc.version);
  w.literal(R"(,"created_at":)").string(doc.created_at).literal(R"(,"updated_at":)").string(doc.updated_at);
  w.literal("}");
  return w.finish();
}

std::error_code encode(const document_patch& patch, std::string& out) {
  fragments w(out);
  bool first = true;
  auto member = [&](std::string_view name_and_colon) -> fragments& {
    w.literal(first ? "{" : ",").literal(name_and_colon);
    first = false;
    return w;
  };
  if (patch.title) member(R"("title":)").string(*patch.title);
  if (patch.body) member(R"("body":)").string(*patch.body);
  if (patch.tags) member(R"("tags":)").strings(*patch.tags);
  if (patch.metadata) member(R"("metadata":)").metadata(*patch.metadata);
  if (patch.is_public) member(R"("public":)").boolean(*patch.is_public);
  w.literal(first ? "{}" : "}");
  return w.finish();
}

std::error_code encode_batch(std::span<const document_input> items, std::string& out) {
  std::size_t hint = out.size() + sizeof R"({"items":[]})";
  for (const auto& item : items) hint += size_hint(item);
  out.reserve(hint);
  fragments w(out);
  w.literal(R"({"items":[)");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) w.literal(",");
    write_input(w, items[i]);
  }
  w.literal("]}");
  return w.finish();
}

std::error_code encode_ids(std::span<const std::string> ids, std::string& out) {
  fragments w(out);
  w.literal(R"({"ids":)").strings(ids).literal("}");
  return w.finish();
}

std::error_code encode_token_request(std::string_view client_id, std::string_view client_secret,
                                     std::string_view scope, std::string& out) {
  fragments w(out);
  w.literal(R"({"client_id":)").string(client_id).literal(R"(,"client_secret":)").string(client_secret);
  if (!scope.empty()) w.literal(R"(,"scope":)").string(scope);
  w.literal("}");
  return w.finish();
}

}  // namespace codex::json
