// Boost.JSON as a peer (header-only: this is the one TU that includes its sources): a
// reused parser writing into a monotonic resource over a reused buffer — Boost.JSON's
// recommended fast path — then codex's models filled from the DOM.
#include "document_keys.hpp"
#include "models.hpp"

#include <boost/json/src.hpp>

#include <memory>
#include <type_traits>
#include <variant>
#include <stdexcept>

namespace bench_json {
namespace {

namespace bj = boost::json;

std::string copy_string(const bj::value& v) {
  const bj::string& s = v.as_string();
  return std::string(s.data(), s.size());
}

codex::metadata_value to_metadata_value(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null: return nullptr;
    case bj::kind::bool_: return v.get_bool();
    case bj::kind::int64: return v.get_int64();
    case bj::kind::uint64: {
      const auto n = v.get_uint64();
      if (n <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(n);
      return codex::raw_json{bj::serialize(v)};  // exact, as codex keeps it
    }
    case bj::kind::double_: return v.get_double();
    case bj::kind::string: return copy_string(v);
    case bj::kind::object:
    case bj::kind::array: return codex::raw_json{bj::serialize(v)};
  }
  throw std::runtime_error("metadata: unsupported value");
}

void fill(const bj::value& value, codex::document& d) {
  for (const auto& member : value.as_object()) {
    const bj::value& v = member.value();
    switch (classify(member.key())) {
      case document_key::id: d.id = copy_string(v); break;
      case document_key::project_id: d.project_id = copy_string(v); break;
      case document_key::title: d.title = copy_string(v); break;
      case document_key::body: d.body = copy_string(v); break;
      case document_key::tags: {
        const auto& tags = v.as_array();
        d.tags.reserve(tags.size());
        for (const auto& t : tags) d.tags.push_back(copy_string(t));
        break;
      }
      case document_key::metadata: {
        const auto& meta = v.as_object();
        d.metadata.reserve(meta.size());
        for (const auto& m : meta) d.metadata.emplace_back(std::string(m.key()), to_metadata_value(m.value()));
        break;
      }
      case document_key::is_public: d.is_public = v.as_bool(); break;
      case document_key::version: d.version = v.as_int64(); break;
      case document_key::created_at: d.created_at = copy_string(v); break;
      case document_key::updated_at: d.updated_at = copy_string(v); break;
      case document_key::unknown: break;
    }
  }
}

/// One parser and one arena buffer per thread, reused from parse to parse.
struct parse_state {
  bj::parser parser;
  std::unique_ptr<unsigned char[]> arena{new unsigned char[4u << 20]};
};

template <class Use>
auto parse(const std::string& body, Use use) {
  thread_local parse_state state;
  bj::monotonic_resource resource(state.arena.get(), 4u << 20);
  state.parser.reset(&resource);
  state.parser.write(body.data(), body.size());
  const bj::value root = state.parser.release();
  return use(root);
}

}  // namespace

codex::page<codex::document> boost_decode_page(const std::string& body) {
  return parse(body, [](const bj::value& root) {
    codex::page<codex::document> out;
    const auto& object = root.as_object();
    const auto& data = object.at("data").as_array();
    out.data.reserve(data.size());
    for (const auto& item : data) fill(item, out.data.emplace_back());
    if (const auto* cursor = object.if_contains("next_cursor"); cursor && !cursor->is_null()) {
      out.next_cursor = copy_string(*cursor);
    }
    return out;
  });
}

codex::json::token_response boost_decode_token(const std::string& body) {
  return parse(body, [](const bj::value& root) {
    codex::json::token_response out;
    for (const auto& member : root.as_object()) {
      const std::string_view key = member.key();
      if (key == "access_token") out.access_token = copy_string(member.value());
      else if (key == "token_type") out.token_type = copy_string(member.value());
      else if (key == "expires_in") out.expires_in = member.value().as_int64();
      else if (key == "scope") out.scope = copy_string(member.value());
    }
    return out;
  });
}

std::string boost_encode_batch(const std::vector<codex::document_input>& items) {
  bj::array array;
  array.reserve(items.size());
  for (const auto& item : items) {
    bj::object o;
    if (item.id) o["id"] = *item.id;
    o["title"] = item.title;
    o["body"] = item.body;
    bj::array tags;
    for (const auto& t : item.tags) tags.emplace_back(t);
    o["tags"] = std::move(tags);
    bj::object meta;
    for (const auto& [key, value] : item.metadata) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) meta[key] = nullptr;
            else if constexpr (std::is_same_v<T, codex::raw_json>) meta[key] = bj::parse(v.text);
            else meta[key] = v;
          },
          value);
    }
    o["metadata"] = std::move(meta);
    o["public"] = item.is_public;
    array.emplace_back(std::move(o));
  }
  bj::object root;
  root["items"] = std::move(array);
  return bj::serialize(root);
}

bool same_json(const std::string& a, const std::string& b) { return bj::parse(a) == bj::parse(b); }

}  // namespace bench_json
