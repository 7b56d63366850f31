// Decoding into reused models (json::decode_into): a page of the same shape as the last
// decodes with no heap allocation at all — the documents, their strings, tags and
// metadata keep their capacity. Counted by a global operator new (counting_allocator):
// a count, not a timing, so it asserts.

#include "counting_allocator.hpp"

#include <codex/json/decode.hpp>
#include <codex/net/http_message.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

using codex::test::allocation_count;

/// A response-like body: the text with simdjson's padding in its capacity.
std::string padded(const std::string& text) {
  std::string body;
  body.reserve(text.size() + codex::net::body_padding);
  body = text;
  return body;
}

/// A list page of `count` documents with every kind of field; `salt` changes the
/// values (same lengths), so that a reused model must really be overwritten.
std::string page_json(int count, char salt) {
  std::string text = R"({"data":[)";
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    const std::string n = std::to_string(1000 + i);
    text += R"({"id":"doc_)" + n + salt + R"(","project_id":"prj_0123456789abcdef","version":)" + n +
            R"(,"created_at":"2026-12-01T10:00:00Z","updated_at":"2026-12-02T10:00:00Z",)" +
            R"("title":"A title long enough to leave the small-string buffer )" + salt + R"(",)" +
            R"("body":"A body with an escape\n and some more words to make it long )" + salt + R"(",)" +
            R"("tags":["alpha-tag-longer-than-sso-)" + salt + R"(","beta"],)" +
            R"("metadata":{"source":"a metadata string value past SSO )" + salt +
            R"(","n":)" + n + R"(,"f":1.5,"ok":true,"nothing":null,"nested":{"x":[1,2,")" + salt + R"("]}},)" +
            R"("public":false})";
  }
  text += R"(],"next_cursor":"cursor_0123456789abcdef_)";
  text += salt;
  text += R"("})";
  return padded(text);
}

}  // namespace

TEST_CASE("a page of the same shape decodes into a reused page with no allocation", "[json][allocations]") {
  const std::string first = page_json(100, 'a');
  const std::string second = page_json(100, 'b');
  codex::page<codex::document> page;
  REQUIRE(codex::json::decode_into(first, page));  // the page, the parser: sized here
  std::size_t allocations = 0;
  {
    allocation_count count;
    const auto decoded = codex::json::decode_into(second, page);
    allocations = count.so_far();
    REQUIRE(decoded);
  }
  std::printf("allocations decoding a 100-document page into a reused page: %zu\n", allocations);
  CHECK(allocations == 0);
  // And it is the second page, exactly as a fresh decode sees it.
  const auto fresh = codex::json::decode_document_page(second);
  REQUIRE(fresh);
  CHECK(page.data == fresh->data);
  CHECK(page.next_cursor == fresh->next_cursor);
}

TEST_CASE("a fresh decode allocates what the model owns, a reused one nothing", "[json][allocations]") {
  const std::string body = page_json(10, 'c');
  std::size_t fresh_allocations = 0;
  {
    allocation_count count;
    REQUIRE(codex::json::decode_document_page(body));
    fresh_allocations = count.so_far();
  }
  CHECK(fresh_allocations > 10 * 6);  // at least each document's long strings
  codex::page<codex::document> page;
  REQUIRE(codex::json::decode_into(body, page));
  allocation_count count;
  REQUIRE(codex::json::decode_into(body, page));
  CHECK(count.so_far() == 0);
}
