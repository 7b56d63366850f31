// decode_document and decode_into(body, document&) (src/json/decode_document.cpp).
// Invariants: the round trip of json_round_trip.hpp through codex's encoder; decoding
// into a model that holds an earlier, different document gives exactly what a fresh
// decode gives (reuse leaks nothing of the old model), and succeeds or fails with it.

#include <codex/json/decode.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

namespace {

using namespace codex;

// A model with every field set, as a previous decode would leave it.
document held_before() {
  return document{.id = "doc_held", .project_id = "prj_held", .title = "an earlier title, long enough to be on the heap",
                  .body = "an earlier body", .tags = {"x", "y", "z"},
                  .metadata = {{"k", std::string("v")}, {"n", std::int64_t{3}}, {"raw", raw_json{"[1,2]"}},
                               {"d", 1.5}, {"b", true}, {"z", nullptr}},
                  .is_public = true, .version = 7, .created_at = "2026-11-22T10:00:00Z",
                  .updated_at = "2026-11-22T10:00:01Z"};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  fuzz::check_round_trip(
      input, [](const std::string& body) { return json::decode_document(body); }, fuzz::write_document, fuzz::same);

  const auto fresh = json::decode_document(fuzz::padded(input));
  document reused = held_before();
  const auto into = json::decode_into(fuzz::padded(input), reused);
  FUZZ_CHECK(into.has_value() == fresh.has_value());
  if (fresh) FUZZ_CHECK(reused == *fresh);
  // Twice into the same model: the second decode starts from the first's content.
  if (fresh) {
    FUZZ_CHECK(json::decode_into(fuzz::unpadded(input), reused).has_value());
    FUZZ_CHECK(reused == *fresh);
  }
  return 0;
}
