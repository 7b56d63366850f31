#include "emulator/api_error.hpp"

#include <codex/json/writer.hpp>

namespace codex::emulator {

std::string error_body(const api_error& e) {
  std::string out;
  json::writer w{out};
  w.begin_object().key("status").int64(e.status).key("error").string(e.code).key("message").string(e.message);
  w.end_object();
  if (w.error()) {
    // A message built from a caller's bytes that are not UTF-8: keep the code only.
    out.clear();
    json::writer plain{out};
    plain.begin_object().key("status").int64(e.status).key("error").string(e.code).key("message").string("");
    plain.end_object();
  }
  return out;
}

}  // namespace codex::emulator
