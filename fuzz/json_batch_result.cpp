// decode_batch_result (src/json/decode_batch.cpp): the answer of POST /documents/batch.
// Invariants: the round trip of json_round_trip.hpp (a result written back decodes to
// an equal one); a decoded index is never negative, whatever the body said.

#include <codex/json/decode.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

#include <limits>

namespace {

using namespace codex;

bool equal(const batch_result& a, const batch_result& b) {
  return a.results == b.results && a.succeeded == b.succeeded && a.failed == b.failed;
}

void write_item(const batch_item_result& item, json::writer& w) {
  w.begin_object().key("index").uint64(item.index).key("status").int64(item.status).key("id").string(item.id);
  if (item.error) w.key("error").begin_object().key("error").string(item.error->error).key("message")
                   .string(item.error->message).end_object();
  w.end_object();
}

void write_result(const batch_result& r, json::writer& w) {
  w.begin_object().key("results").begin_array();
  for (const auto& item : r.results) write_item(item, w);
  w.end_array().key("succeeded").uint64(r.succeeded).key("failed").uint64(r.failed).end_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  fuzz::check_round_trip(
      input, [](const std::string& body) { return json::decode_batch_result(body); }, write_result, equal);
  if (const auto r = json::decode_batch_result(fuzz::padded(input))) {
    for (const auto& item : r->results)
      FUZZ_CHECK(item.index <= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()));
  }
  return 0;
}
