#include "emulator/json_input.hpp"

#include <codex/net/http_message.hpp>

namespace codex::emulator {
namespace {

static_assert(net::body_padding >= simdjson::SIMDJSON_PADDING, "request bodies must carry simdjson's padding");

using simdjson::ondemand::json_type;

simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

api_error invalid_field(std::string_view field, std::string_view why) {
  return {422, "invalid_field", std::string(field) + ": " + std::string(why)};
}

// A simdjson failure while reading a field: a wrong type is the caller's field error
// (422); anything else means the JSON text itself is broken (400).
api_error field_failure(simdjson::error_code err, std::string_view field, std::string_view expected) {
  if (err == simdjson::INCORRECT_TYPE) return invalid_field(field, std::string("must be ") + std::string(expected));
  return invalid_json(simdjson::error_message(err));
}

std::optional<api_error> read_string(simdjson::ondemand::value v, std::string_view field, std::optional<std::string>& out) {
  std::string_view s;
  if (auto err = v.get_string().get(s)) return field_failure(err, field, "a string");
  out.emplace(s);
  return std::nullopt;
}

std::optional<api_error> read_tags(simdjson::ondemand::value v, const field_limits& limits,
                                   std::optional<std::vector<std::string>>& out) {
  simdjson::ondemand::array arr;
  if (auto err = v.get_array().get(arr)) return field_failure(err, "tags", "an array of strings");
  out.emplace();
  for (auto element : arr) {
    std::string_view s;
    if (auto err = element.get_string().get(s)) return field_failure(err, "tags", "an array of strings");
    if (out->size() == limits.tags) return invalid_field("tags", "at most " + std::to_string(limits.tags) + " tags");
    if (s.size() > limits.tag_bytes || s.empty()) {
      return invalid_field("tags", "each tag is 1 to " + std::to_string(limits.tag_bytes) + " bytes");
    }
    out->emplace_back(s);
  }
  return std::nullopt;
}

std::optional<api_error> read_scalar(simdjson::ondemand::value v, metadata_value& out) {
  json_type type;
  if (auto err = v.type().get(type)) return invalid_json(simdjson::error_message(err));
  simdjson::error_code err = simdjson::SUCCESS;
  switch (type) {
    case json_type::null: out = nullptr; return std::nullopt;
    case json_type::boolean: {
      bool b = false;
      err = v.get_bool().get(b);
      out = b;
      break;
    }
    case json_type::string: {
      std::string_view s;
      err = v.get_string().get(s);
      out = std::string(s);
      break;
    }
    case json_type::number: {
      simdjson::ondemand::number n;
      err = v.get_number().get(n);
      if (err) break;
      switch (n.get_number_type()) {
        case simdjson::ondemand::number_type::signed_integer: out = n.get_int64(); break;
        case simdjson::ondemand::number_type::unsigned_integer: out = n.get_uint64(); break;
        default: out = n.get_double(); break;
      }
      break;
    }
    default: return invalid_field("metadata", "values must be strings, numbers, booleans or null");
  }
  if (err) return invalid_json(simdjson::error_message(err));
  return std::nullopt;
}

std::optional<api_error> read_metadata(simdjson::ondemand::value v, const field_limits& limits,
                                       std::optional<metadata_map>& out) {
  simdjson::ondemand::object obj;
  if (auto err = v.get_object().get(obj)) return field_failure(err, "metadata", "an object");
  out.emplace();
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return invalid_json(simdjson::error_message(err));
    // A repeated key replaces the earlier value, as most JSON readers do.
    std::erase_if(*out, [&](const auto& kv) { return kv.first == key; });
    if (out->size() == limits.metadata_keys) {
      return invalid_field("metadata", "at most " + std::to_string(limits.metadata_keys) + " keys");
    }
    metadata_value value;
    if (auto e = read_scalar(field.value(), value)) return e;
    out->emplace_back(std::string(key), std::move(value));
  }
  return std::nullopt;
}

std::optional<api_error> read_member(std::string_view key, simdjson::ondemand::value v, const field_limits& limits,
                                     document_input& in) {
  if (key == "id") return read_string(v, key, in.id);
  if (key == "title") return read_string(v, key, in.title);
  if (key == "body") return read_string(v, key, in.body);
  if (key == "tags") return read_tags(v, limits, in.tags);
  if (key == "metadata") return read_metadata(v, limits, in.metadata);
  if (key == "public") {
    bool b = false;
    if (auto err = v.get_bool().get(b)) return field_failure(err, key, "a boolean");
    in.is_public = b;
  }
  return std::nullopt;  // unknown and server-set members are ignored
}

}  // namespace

api_error invalid_json(std::string_view detail) {
  std::string message = "The request body is not valid JSON";
  if (!detail.empty()) message += std::string(" (") + std::string(detail) + ")";
  return {400, "invalid_json", std::move(message)};
}

json_body::json_body(const std::string& body) : text_(body) {
  simdjson::padded_string_view view;
  if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING) {
    view = simdjson::padded_string_view(body.data(), body.size(), body.capacity());
  } else {
    copy_ = std::make_unique<simdjson::padded_string>(body);
    view = simdjson::padded_string_view(copy_->data(), copy_->size(), copy_->size() + simdjson::SIMDJSON_PADDING);
  }
  error_ = thread_parser().iterate(view).get(doc_);
}

std::variant<simdjson::ondemand::object, api_error> json_body::root() {
  if (error_) return invalid_json(simdjson::error_message(error_));
  simdjson::ondemand::object obj;
  if (auto err = doc_.get_object().get(obj)) {
    if (err == simdjson::INCORRECT_TYPE) return api_error{400, "invalid_json", "The request body must be a JSON object"};
    return invalid_json(simdjson::error_message(err));
  }
  return obj;
}

std::optional<api_error> json_body::finish() {
  if (!ends_after_root_container(text_)) return invalid_json("trailing content after the JSON value");
  return std::nullopt;
}

bool ends_after_root_container(std::string_view text) noexcept {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i == text.size() || (text[i] != '{' && text[i] != '[')) return true;  // not a container: nothing to check
  // simdjson On-Demand (3.0) stops at the root's closing bracket without looking at
  // what follows it; find that bracket, skipping strings, and require only whitespace after.
  std::size_t depth = 0;
  bool in_string = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      break;
    }
  }
  for (++i; i < text.size(); ++i) {
    if (!is_space(text[i])) return false;
  }
  return true;
}

std::variant<document_input, api_error> parse_document_input(simdjson::ondemand::value value,
                                                             const field_limits& limits) {
  simdjson::ondemand::object obj;
  if (auto err = value.get_object().get(obj)) {
    if (err == simdjson::INCORRECT_TYPE) return api_error{422, "invalid_document", "a document must be a JSON object"};
    return invalid_json(simdjson::error_message(err));
  }
  return parse_document_fields(obj, limits);
}

std::variant<document_input, api_error> parse_document_fields(simdjson::ondemand::object& obj,
                                                              const field_limits& limits) {
  document_input in;
  std::optional<api_error> first_error;
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return invalid_json(simdjson::error_message(err));
    // Keep reading after a field error: a broken JSON text later on is a 400, which
    // outranks the 422 (and ondemand must consume the object anyway).
    auto e = read_member(key, field.value(), limits, in);
    if (e && e->status == 400) return *e;
    if (e && !first_error) first_error = std::move(e);
  }
  if (first_error) return *first_error;
  if (auto e = validate(in, limits)) return *e;
  return in;
}

std::variant<document_input, api_error> read_document_body(const std::string& body, const field_limits& limits) {
  json_body json{body};
  auto root = json.root();
  if (auto* e = std::get_if<api_error>(&root)) return *e;
  auto input = parse_document_fields(std::get<simdjson::ondemand::object>(root), limits);
  if (std::holds_alternative<api_error>(input) && std::get<api_error>(input).status == 400) return input;
  if (auto e = json.finish()) return *e;
  return input;
}

std::variant<std::vector<std::string>, api_error> parse_string_array(simdjson::ondemand::value value,
                                                                     std::size_t max) {
  simdjson::ondemand::array arr;
  if (auto err = value.get_array().get(arr)) {
    if (err == simdjson::INCORRECT_TYPE) return api_error{400, "invalid_request", "ids must be an array of strings"};
    return invalid_json(simdjson::error_message(err));
  }
  std::vector<std::string> out;
  for (auto element : arr) {
    std::string_view s;
    if (auto err = element.get_string().get(s)) {
      if (err == simdjson::INCORRECT_TYPE) return api_error{400, "invalid_request", "ids must be an array of strings"};
      return invalid_json(simdjson::error_message(err));
    }
    if (out.size() == max) {
      return api_error{413, "payload_too_large", "at most " + std::to_string(max) + " ids per request"};
    }
    out.emplace_back(s);
  }
  return out;
}

namespace {

api_error missing_member(std::string_view name) {
  return {400, "invalid_request", "The body must be an object with \"" + std::string(name) + "\""};
}

// Reads the array member `name` of the body's root object with `read_array`.
template <class Result, class ReadArray>
std::variant<Result, api_error> read_root_array(const std::string& body, std::string_view name, ReadArray read_array) {
  json_body json{body};
  auto root = json.root();
  if (auto* e = std::get_if<api_error>(&root)) return *e;
  std::optional<std::variant<Result, api_error>> out;
  for (auto field : std::get<simdjson::ondemand::object>(root)) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return invalid_json(simdjson::error_message(err));
    if (key != name || out) continue;
    out = read_array(field.value());
    if (std::holds_alternative<api_error>(*out)) return *out;
  }
  if (auto e = json.finish()) return *e;
  if (!out) return missing_member(name);
  return std::move(*out);
}

}  // namespace

std::variant<batch_items, api_error> parse_batch_items(const std::string& body, const field_limits& limits) {
  return read_root_array<batch_items>(body, "items", [&](simdjson::ondemand::value v) -> std::variant<batch_items, api_error> {
    simdjson::ondemand::array arr;
    if (auto err = v.get_array().get(arr)) {
      if (err == simdjson::INCORRECT_TYPE) return missing_member("items");
      return invalid_json(simdjson::error_message(err));
    }
    batch_items items;
    for (auto element : arr) {
      if (items.size() == limits.batch_items) {
        return api_error{413, "payload_too_large", "A batch holds at most " + std::to_string(limits.batch_items) + " items"};
      }
      simdjson::ondemand::value item;
      if (auto err = element.get(item)) return invalid_json(simdjson::error_message(err));
      auto parsed = parse_document_input(item, limits);
      if (auto* e = std::get_if<api_error>(&parsed); e && e->status == 400) return *e;
      items.push_back(std::move(parsed));
    }
    return items;
  });
}

std::variant<std::vector<std::string>, api_error> parse_batch_ids(const std::string& body, std::size_t max) {
  return read_root_array<std::vector<std::string>>(body, "ids", [&](simdjson::ondemand::value v) {
    return parse_string_array(v, max);
  });
}

}  // namespace codex::emulator
