// decode_document_page and decode_into(body, page<document>&) (src/json/decode_document.cpp).
// Invariants: the round trip of json_round_trip.hpp; decoding into a page that holds an
// earlier, larger page gives exactly what a fresh decode gives, and succeeds or fails
// with it.

#include <codex/json/decode.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

namespace {

using namespace codex;

bool equal(const page<document>& a, const page<document>& b) {
  return a.data == b.data && a.next_cursor == b.next_cursor;
}

void write_page(const page<document>& p, json::writer& w) {
  w.begin_object().key("data");
  fuzz::write_documents(p.data, w);
  w.key("next_cursor");
  if (p.next_cursor) {
    w.string(*p.next_cursor);
  } else {
    w.null();
  }
  w.end_object();
}

page<document> held_before() {
  page<document> p;
  p.next_cursor = "an earlier cursor";
  for (int i = 0; i < 3; ++i) {
    p.data.push_back(document{.id = "doc_" + std::to_string(i), .project_id = "prj_held", .title = "held",
                              .body = "an earlier body", .tags = {"x"}, .metadata = {{"k", std::string("v")}},
                              .is_public = true, .version = i, .created_at = "2026-11-22T10:00:00Z",
                              .updated_at = "2026-11-22T10:00:00Z"});
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  fuzz::check_round_trip(
      input, [](const std::string& body) { return json::decode_document_page(body); }, write_page, equal);

  const auto fresh = json::decode_document_page(fuzz::padded(input));
  page<document> reused = held_before();
  const auto into = json::decode_into(fuzz::padded(input), reused);
  FUZZ_CHECK(into.has_value() == fresh.has_value());
  if (fresh) FUZZ_CHECK(equal(reused, *fresh));
  return 0;
}
