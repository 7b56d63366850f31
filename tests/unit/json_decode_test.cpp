// Decoders: every model, forward compatibility, typed failures, every truncation point —
// on the simdjson implementation chosen for this CPU and on every other one it can run.
#include "json/error_body.hpp"

#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/net/http_message.hpp>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using codex::errc;
namespace json = codex::json;

namespace {

/// A body as the transport delivers it: with simdjson's padding past its end.
std::string padded(std::string_view text) {
  std::string out;
  out.reserve(text.size() + codex::net::body_padding);
  out.assign(text);
  return out;
}

const char* const document_json = R"({"id":"doc_1","project_id":"prj_1","title":"Qu\"ote\\ \u00e9 \ud83d\ude00",
  "body":"line\nbreak\ttab","tags":["a","b"],"metadata":{"k":"v","n":3,"big":18446744073709551615,"f":1.5,
  "ok":true,"none":null,"nested":{"x":[1,2]}},"public":true,"version":7,"created_at":"2026-11-22T10:00:00Z",
  "updated_at":"2026-11-22T10:00:01Z","future_field":{"ignored":[1,{"deep":true}]}})";

/// simdjson's implementations that this CPU runs, in simdjson's order (best first).
std::vector<std::string> runnable_implementations() {
  std::vector<std::string> out;
  for (const auto* implementation : simdjson::get_available_implementations())
    if (implementation->supported_by_runtime_system()) out.push_back(implementation->name());
  return out;
}

/// Runs `decode` on a new thread while `implementation` is simdjson's active one: a
/// parser keeps the implementation it was created with, and the decoders create one
/// per thread. Returns what `decode` returns (assertions stay on the test's thread).
template <class Decode>
auto with_implementation(const std::string& implementation, Decode decode) {
  auto& active = simdjson::get_active_implementation();
  const simdjson::implementation* previous = active;
  active = simdjson::get_available_implementations()[implementation];
  decltype(decode()) out;
  std::thread([&] { out = decode(); }).join();
  active = previous;
  return out;
}

}  // namespace

TEST_CASE("decode: runs on the best simdjson implementation for this CPU, chosen at run time", "[json]") {
  const auto runnable = runnable_implementations();
  REQUIRE_FALSE(runnable.empty());
  CHECK(json::decoder_implementation() == runnable.front());
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) {
    CHECK(json::decoder_implementation() != "fallback");
    CHECK(json::decoder_implementation() != "westmere");
  }
#endif
  WARN("decoding with simdjson's " << json::decoder_implementation() << " implementation; this CPU runs "
                                   << runnable.size() << " of them");
}

TEST_CASE("decode: every implementation reads strings of every length with escapes anywhere alike", "[json]") {
  // SIMD implementations unescape 32 or 64 bytes at a time: put an escape (or a
  // multi-byte character) at every position of strings around those block sizes.
  const char* const inserts[] = {R"(\")", R"(\\)", R"(\n)", R"(\u00e9)", R"(\ud83d\ude00)", "\xc3\xa9"};
  std::vector<std::string> bodies;
  for (std::size_t length : {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129})
    for (std::size_t at = 0; at <= length; ++at)
      for (const char* insert : inserts)
        bodies.push_back(padded(R"({"title":")" + std::string(at, 'a') + insert + std::string(length - at, 'b') + R"("})"));

  auto titles = [&] {
    std::vector<std::string> out;
    for (const auto& body : bodies) {
      auto input = json::decode_document_input(body);
      out.push_back(input ? input->title : "(error)");
    }
    return out;
  };
  const auto expected = with_implementation("fallback", titles);
  REQUIRE(expected.size() == bodies.size());
  CHECK(std::count(expected.begin(), expected.end(), "(error)") == 0);
  for (const auto& implementation : runnable_implementations()) {
    INFO("implementation " << implementation);
    CHECK(with_implementation(implementation, titles) == expected);
  }
}

TEST_CASE("decode: a document with every field type", "[json]") {
  auto doc = json::decode_document(padded(document_json));
  REQUIRE(doc);
  CHECK(doc->id == "doc_1");
  CHECK(doc->title == "Qu\"ote\\ \xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(doc->body == "line\nbreak\ttab");
  CHECK(doc->tags == std::vector<std::string>{"a", "b"});
  REQUIRE(doc->metadata.size() == 7);
  CHECK(std::get<std::string>(doc->metadata[0].second) == "v");
  CHECK(std::get<std::int64_t>(doc->metadata[1].second) == 3);
  // Beyond int64: kept exact as its text (a double would round it).
  CHECK(std::get<codex::raw_json>(doc->metadata[2].second).text == "18446744073709551615");
  CHECK(std::get<double>(doc->metadata[3].second) == 1.5);
  CHECK(std::get<bool>(doc->metadata[4].second));
  CHECK(std::holds_alternative<std::nullptr_t>(doc->metadata[5].second));
  CHECK(std::get<codex::raw_json>(doc->metadata[6].second).text == R"({"x":[1,2]})");
  CHECK(doc->is_public);
  CHECK(doc->version == 7);
}

TEST_CASE("decode: missing required fields and wrong types are named", "[json]") {
  auto missing = json::decode_document(padded(R"({"project_id":"p","version":1,"created_at":"t","updated_at":"t"})"));
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::decode_error);
  CHECK(missing.error().message.find("document.id") != std::string::npos);

  auto wrong = json::decode_document(
      padded(R"({"id":"d","project_id":"p","version":"seven","created_at":"t","updated_at":"t"})"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("document.version") != std::string::npos);

  auto tags = json::decode_document(
      padded(R"({"id":"d","project_id":"p","version":1,"created_at":"t","updated_at":"t","tags":["a",2]})"));
  REQUIRE_FALSE(tags);
  CHECK(tags.error().message.find("document.tags") != std::string::npos);
}

TEST_CASE("decode: pages, batch results, batch_get, account, token", "[json]") {
  auto page = json::decode_document_page(padded(std::string(R"({"data":[)") + document_json + "," + document_json +
                                                R"(],"next_cursor":"c2"})"));
  REQUIRE(page);
  CHECK(page->data.size() == 2);
  CHECK(page->next_cursor == "c2");
  auto last = json::decode_document_page(padded(R"({"data":[],"next_cursor":null})"));
  REQUIRE(last);
  CHECK_FALSE(last->next_cursor);

  auto batch = json::decode_batch_result(padded(
      R"({"results":[{"index":0,"status":201,"id":"doc_a"},{"index":1,"status":422,"error":{"error":"unprocessable","message":"title too long"}}],"succeeded":1,"failed":1})"));
  REQUIRE(batch);
  REQUIRE(batch->results.size() == 2);
  CHECK(batch->results[0].ok());
  CHECK(batch->results[0].id == "doc_a");
  CHECK(batch->results[1].index == 1);
  CHECK(batch->results[1].error->message == "title too long");
  CHECK(batch->succeeded == 1);
  CHECK(batch->failed == 1);

  auto got = json::decode_batch_get_result(padded(std::string(R"({"data":[)") + document_json + R"(],"missing":["x","y"]})"));
  REQUIRE(got);
  CHECK(got->data.size() == 1);
  CHECK(got->missing == std::vector<std::string>{"x", "y"});

  auto account = json::decode_account(padded(
      R"({"project":{"id":"prj_1","name":"demo","permission":"read_write"},"credential":{"type":"api_key","id":"key_1","prefix":"cdx_ab12"},"scopes":["read","write"]})"));
  REQUIRE(account);
  CHECK(account->project.permission == "read_write");
  CHECK(account->credential.prefix == "cdx_ab12");
  CHECK(account->scopes.size() == 2);

  auto token = json::decode_token_response(
      padded(R"({"access_token":"eyJx.eyJy.sig","token_type":"Bearer","expires_in":3600,"scope":"read write"})"));
  REQUIRE(token);
  CHECK(token->expires_in == 3600);
  CHECK(token->scope == "read write");
}

TEST_CASE("decode: an access token that would break its header line is malformed, and its text is not echoed", "[json]") {
  for (const char* escaped : {R"(\r\nX-Injected: 1)", R"(\nX-Injected: 1)", R"(\rX-Injected: 1)", R"(\u0000X-Injected)",
                              R"(\u001b[2J)", R"(\u007f)"}) {
    INFO(escaped);
    const auto token = json::decode_token_response(padded(std::string(R"({"access_token":"eyJsecret.part)") + escaped +
                                                          R"(","token_type":"Bearer","expires_in":3600})"));
    REQUIRE_FALSE(token);
    CHECK(token.code() == errc::decode_error);
    CHECK(token.error().message.find("access_token is malformed") != std::string::npos);
    CHECK(token.error().message.find("eyJsecret") == std::string::npos);
    CHECK(token.error().message.find("Injected") == std::string::npos);
  }
  // Tabs, spaces and non-ASCII bytes may travel in a header value: not refused here.
  CHECK(json::decode_token_response(padded(R"({"access_token":"a\tb c\u00e9","expires_in":60})")));
}

TEST_CASE("decode: every truncation of every valid body is a typed error", "[json]") {
  const std::string bodies[] = {
      document_json,
      std::string(R"({"data":[)") + document_json + R"(],"next_cursor":"c"})",
      R"({"results":[{"index":0,"status":201,"id":"d"},{"index":1,"status":422,"error":{"error":"e","message":"m"}}],"succeeded":1,"failed":1})",
      R"({"project":{"id":"p","name":"n","permission":"read"},"credential":{"type":"t","id":"i","prefix":"x"},"scopes":["read"]})",
      R"({"access_token":"a.b.c","token_type":"Bearer","expires_in":60,"scope":"read"})",
  };
  // Every decoder on every prefix; a prefix can never decode (each body ends with its
  // closing brace). Returns a line per prefix that decoded or failed otherwise.
  auto wrong_outcomes = [&] {
    std::vector<std::string> wrong;
    for (const auto& body : bodies) {
      for (std::size_t cut = 0; cut < body.size(); ++cut) {
        const std::string truncated = padded(std::string_view(body).substr(0, cut));
        auto check = [&](const char* decoder, auto decoded) {
          if (decoded.has_value() || decoded.code() != errc::decode_error)
            wrong.push_back(std::string(decoder) + " at cut " + std::to_string(cut) + " of " + body.substr(0, 40));
        };
        check("document", json::decode_document(truncated));
        check("page", json::decode_document_page(truncated));
        check("batch", json::decode_batch_result(truncated));
        check("account", json::decode_account(truncated));
        check("token", json::decode_token_response(truncated));
        check("document_input", json::decode_document_input(truncated));
      }
    }
    return wrong;
  };
  CHECK(wrong_outcomes() == std::vector<std::string>{});
  for (const auto& implementation : runnable_implementations()) {
    INFO("implementation " << implementation);
    CHECK(with_implementation(implementation, wrong_outcomes) == std::vector<std::string>{});
  }
}

TEST_CASE("decode: garbage, trailing content and unpadded input", "[json]") {
  for (auto text : {"", "null", "[]", "{", "}", "{\"id\":}", "not json", "{\"data\":[]} {}", "\xff\xfe"}) {
    INFO(text);
    CHECK(json::decode_document_page(padded(text)).code() == errc::decode_error);
  }
  std::string tight = R"({"data":[],"next_cursor":null})";
  tight.shrink_to_fit();  // no spare capacity: the decoder copies instead of reading past the end
  CHECK(json::decode_document_page(tight).has_value());
}

TEST_CASE("encode → decode round trip keeps every character", "[json]") {
  codex::document_input input{
      .id = "doc_rt",
      .title = "quote\" backslash\\ ctl\x01\x1f tab\t nl\n é 😀 \x7f",
      .body = "body",
      .tags = {"t\"1", "ü"},
      .metadata = {{"s", std::string("v\"")}, {"n", std::int64_t{-5}}, {"d", 0.25}, {"b", false}, {"z", nullptr},
                   {"raw", codex::raw_json{R"({"a":[1,"x"]})"}}},
      .is_public = true};
  std::string encoded;
  REQUIRE_FALSE(json::encode(input, encoded));

  // Wrap the input's fields in a service-shaped document and read it back.
  std::string body = R"({"project_id":"p","version":1,"created_at":"t","updated_at":"t",)" + encoded.substr(1);
  auto doc = json::decode_document(padded(body));
  REQUIRE(doc);
  CHECK(doc->id == *input.id);
  CHECK(doc->title == input.title);
  CHECK(doc->tags == input.tags);
  CHECK(doc->metadata == input.metadata);
  CHECK(doc->is_public);

  codex::document_input bad{.title = "\xc3\x28"};  // invalid UTF-8
  std::string ignored;
  CHECK(json::encode(bad, ignored) == errc::invalid_utf8);
}

TEST_CASE("decode: a document as users write it", "[json]") {
  auto input = json::decode_document_input(padded(
      R"({"id":"mine","title":"T","body":"B","tags":["x"],"metadata":{"n":1},"public":true,"version":9,"extra":[1]})"));
  REQUIRE(input);
  CHECK(input->id == "mine");
  CHECK(input->title == "T");
  CHECK(input->tags == std::vector<std::string>{"x"});
  CHECK(input->is_public);
  auto bare = json::decode_document_input(padded(R"({"title":"only a title"})"));
  REQUIRE(bare);
  CHECK_FALSE(bare->id);
  CHECK(json::decode_document_input(padded(R"({"title":5})")).code() == errc::decode_error);
  CHECK(json::decode_document_input(padded(R"({"title":"t")")).code() == errc::decode_error);
}

TEST_CASE("metadata numbers round-trip with their kind: doubles stay doubles, integers stay exact", "[json]") {
  codex::document_input input;
  input.title = "numbers";
  const double doubles[] = {2.0, -3.0, 0.0, 0.5, 0.1, 1e300, 1234567.0, 9007199254740993.0, 5e-324};
  for (std::size_t i = 0; i < std::size(doubles); ++i) input.metadata.emplace_back("d" + std::to_string(i), doubles[i]);
  input.metadata.emplace_back("max", std::numeric_limits<std::int64_t>::max());
  input.metadata.emplace_back("min", std::numeric_limits<std::int64_t>::min());
  input.metadata.emplace_back("beyond_2_53", std::int64_t{9007199254740993});
  std::string text;
  REQUIRE_FALSE(json::encode(input, text));
  auto back = json::decode_document_input(padded(text));
  REQUIRE(back);
  REQUIRE(back->metadata.size() == input.metadata.size());
  for (std::size_t i = 0; i < std::size(doubles); ++i) {
    INFO(back->metadata[i].first << " in " << text);
    REQUIRE(std::holds_alternative<double>(back->metadata[i].second));
    CHECK(std::get<double>(back->metadata[i].second) == doubles[i]);
  }
  const std::size_t n = std::size(doubles);
  CHECK(std::get<std::int64_t>(back->metadata[n].second) == std::numeric_limits<std::int64_t>::max());
  CHECK(std::get<std::int64_t>(back->metadata[n + 1].second) == std::numeric_limits<std::int64_t>::min());
  CHECK(std::get<std::int64_t>(back->metadata[n + 2].second) == 9007199254740993);
}

TEST_CASE("decode_into a reused page equals a fresh decode, whatever the earlier page held", "[json]") {
  // The first page has more documents, every optional field, metadata of other kinds
  // and a cursor; the second fewer documents, fields left out, values of other types.
  const std::string first = padded(
      R"({"data":[{"id":"a1","project_id":"p","version":1,"created_at":"t","updated_at":"t","title":"first title",)"
      R"("body":"first body","tags":["x","y","z"],"metadata":{"k":"a string value","n":1,"o":{"deep":true}},"public":true},)"
      R"({"id":"a2","project_id":"p","version":2,"created_at":"t","updated_at":"t","title":"t2"},)"
      R"({"id":"a3","project_id":"p","version":3,"created_at":"t","updated_at":"t"}],"next_cursor":"c1"})");
  const std::string second = padded(
      R"({"data":[{"id":"b1","project_id":"q","version":9,"created_at":"u","updated_at":"u",)"
      R"("tags":["only"],"metadata":{"k":7,"s":"now a string"}},)"
      R"({"id":"b2","project_id":"q","version":8,"created_at":"u","updated_at":"u","metadata":{"o":[1,2]}}]})");
  codex::page<codex::document> page;
  REQUIRE(json::decode_into(first, page));
  REQUIRE(page.data.size() == 3);
  REQUIRE(json::decode_into(second, page));
  const auto fresh = json::decode_document_page(second);
  REQUIRE(fresh);
  CHECK(page.data == fresh->data);
  CHECK_FALSE(page.next_cursor);
  CHECK(page.data[0].title.empty());
  CHECK_FALSE(page.data[0].is_public);
  CHECK(std::get<std::int64_t>(page.data[0].metadata[0].second) == 7);

  codex::document doc = page.data[0];
  REQUIRE(json::decode_into(padded(R"({"id":"c","project_id":"p","version":1,"created_at":"t","updated_at":"t"})"), doc));
  CHECK(doc.tags.empty());
  CHECK(doc.metadata.empty());
  CHECK(doc.id == "c");
  // A failure names the field, as the fresh decoders do.
  auto failed = json::decode_into(padded(R"({"data":[{"id":1}]})"), page);
  REQUIRE_FALSE(failed);
  CHECK(failed.code() == errc::decode_error);
  CHECK(failed.error().message.find("document.id") != std::string::npos);
}

TEST_CASE("decode: keys are compared raw, and a key with an escape means what it unescapes to", "[json]") {
  auto doc = json::decode_document(padded(
      R"({"\u0069d":"doc_e","project_id":"p","version":1,"created_at":"c","updated_at":"u","ti\"tle":"x","t\u0069tle":"T"})"));
  REQUIRE(doc);
  CHECK(doc->id == "doc_e");
  CHECK(doc->title == "T");
  auto error = json::decode_error_body(padded(R"({"err\u006fr":"not_found","message":"m"})"));
  CHECK(error.error == "not_found");
}
