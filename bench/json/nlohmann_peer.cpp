// nlohmann/json as a peer: parse to its DOM (the default nlohmann::json), then move the
// strings out of the DOM into codex's models — the fastest straightforward use.
#include "document_keys.hpp"
#include "models.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <type_traits>
#include <variant>

namespace bench_json {
namespace {

using json = nlohmann::json;

std::string take_string(json& v) { return std::move(v.get_ref<std::string&>()); }

codex::metadata_value to_metadata_value(json& v) {
  switch (v.type()) {
    case json::value_t::null: return nullptr;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::number_integer: return v.get<std::int64_t>();
    case json::value_t::number_unsigned: {
      const auto n = v.get<std::uint64_t>();
      if (n <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(n);
      return codex::raw_json{v.dump()};  // exact, as codex keeps it
    }
    case json::value_t::number_float: return v.get<double>();
    case json::value_t::string: return take_string(v);
    case json::value_t::object:
    case json::value_t::array: return codex::raw_json{v.dump()};
    default: throw std::runtime_error("metadata: unsupported value");
  }
}

void fill(json& object, codex::document& d) {
  if (!object.is_object()) throw std::runtime_error("document: not an object");
  for (auto it = object.begin(); it != object.end(); ++it) {
    json& v = it.value();
    switch (classify(it.key())) {
      case document_key::id: d.id = take_string(v); break;
      case document_key::project_id: d.project_id = take_string(v); break;
      case document_key::title: d.title = take_string(v); break;
      case document_key::body: d.body = take_string(v); break;
      case document_key::tags:
        d.tags.reserve(v.size());
        for (auto& t : v) d.tags.push_back(take_string(t));
        break;
      case document_key::metadata:
        if (!v.is_object()) throw std::runtime_error("metadata: not an object");
        d.metadata.reserve(v.size());
        for (auto m = v.begin(); m != v.end(); ++m) d.metadata.emplace_back(m.key(), to_metadata_value(m.value()));
        break;
      case document_key::is_public: d.is_public = v.get<bool>(); break;
      case document_key::version: d.version = v.get<std::int64_t>(); break;
      case document_key::created_at: d.created_at = take_string(v); break;
      case document_key::updated_at: d.updated_at = take_string(v); break;
      case document_key::unknown: break;
    }
  }
}

}  // namespace

codex::page<codex::document> nlohmann_decode_page(const std::string& body) {
  json root = json::parse(body);
  codex::page<codex::document> out;
  auto& data = root.at("data");
  out.data.reserve(data.size());
  for (auto& item : data) fill(item, out.data.emplace_back());
  if (auto it = root.find("next_cursor"); it != root.end() && !it->is_null()) out.next_cursor = take_string(*it);
  return out;
}

codex::json::token_response nlohmann_decode_token(const std::string& body) {
  json root = json::parse(body);
  codex::json::token_response out;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    if (key == "access_token") out.access_token = take_string(it.value());
    else if (key == "token_type") out.token_type = take_string(it.value());
    else if (key == "expires_in") out.expires_in = it.value().get<std::int64_t>();
    else if (key == "scope") out.scope = take_string(it.value());
  }
  return out;
}

std::string nlohmann_encode_batch(const std::vector<codex::document_input>& items) {
  json array = json::array();
  for (const auto& item : items) {
    json o = json::object();
    if (item.id) o["id"] = *item.id;
    o["title"] = item.title;
    o["body"] = item.body;
    o["tags"] = item.tags;
    json meta = json::object();
    for (const auto& [key, value] : item.metadata) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, codex::raw_json>) meta[key] = json::parse(v.text);
            else meta[key] = v;
          },
          value);
    }
    o["metadata"] = std::move(meta);
    o["public"] = item.is_public;
    array.push_back(std::move(o));
  }
  return json{{"items", std::move(array)}}.dump();
}

}  // namespace bench_json
