#include "json/error_body.hpp"

#include "json/simdjson_support.hpp"

namespace codex::json {

error_body decode_error_body(const std::string& body) noexcept {
  error_body out;
  try {
    simdjson::padded_string scratch;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (detail::thread_parser().iterate(detail::padded_view(body, scratch)).get(doc) || doc.get_object().get(object))
      return out;
    for (auto member : object) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (detail::next_member(std::move(member), field, key)) return out;
      std::string_view value;
      if (key == "error") {
        if (!field.value().get_string().get(value)) out.error = value;
      } else if (key == "message") {
        if (!field.value().get_string().get(value)) out.message = value;
      }
    }
  } catch (...) {  // only allocation can throw here; the status still tells the error
  }
  return out;
}

}  // namespace codex::json
