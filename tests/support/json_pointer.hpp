#pragma once
// Reading one string out of a JSON text in a test, by JSON Pointer (RFC 6901).

#include <simdjson.h>

#include <string>
#include <string_view>

namespace codex::test {

/// The string at `pointer` (e.g. "/error/code") in `json`; empty when it is absent or
/// not a string (tests compare it with what they expect).
inline std::string json_text(const std::string& json, const char* pointer) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  auto document = parser.iterate(padded);
  std::string_view value;
  if (document.at_pointer(pointer).get_string().get(value)) return {};
  return std::string(value);
}

}  // namespace codex::test
