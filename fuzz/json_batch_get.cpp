// decode_batch_get_result (src/json/decode_document.cpp): the answer of
// POST /documents/batch_get. Invariant: the round trip of json_round_trip.hpp.

#include <codex/json/decode.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

namespace {

using namespace codex;

bool equal(const batch_get_result& a, const batch_get_result& b) { return a.data == b.data && a.missing == b.missing; }

void write_result(const batch_get_result& r, json::writer& w) {
  w.begin_object().key("data");
  fuzz::write_documents(r.data, w);
  w.key("missing");
  fuzz::write_strings(r.missing, w);
  w.end_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::check_round_trip(
      fuzz::as_text(data, size), [](const std::string& body) { return json::decode_batch_get_result(body); },
      write_result, equal);
  return 0;
}
