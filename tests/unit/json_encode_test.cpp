// The request-body encoders: exact compact output, every model round-tripping through
// the decoders, and a failure leaving the caller's string as it was.
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using codex::errc;
namespace json = codex::json;

TEST_CASE("a batch is compact JSON with the members in the contract's order", "[json_encode]") {
  const std::vector<codex::document_input> items{
      {.title = "a"},
      {.id = "mine", .title = "b", .body = "x", .tags = {"t1", "t2"},
       .metadata = {{"n", std::int64_t{1}}, {"d", 2.0}, {"z", nullptr}, {"s", std::string("v")}}, .is_public = true}};
  std::string out = "prefix:";
  REQUIRE_FALSE(json::encode_batch(items, out));
  CHECK(out == R"(prefix:{"items":[{"title":"a","body":"","tags":[],"metadata":{},"public":false},)"
               R"({"id":"mine","title":"b","body":"x","tags":["t1","t2"],"metadata":{"n":1,"d":2.0,"z":null,"s":"v"},"public":true}]})");
  std::string empty;
  REQUIRE_FALSE(json::encode_batch({}, empty));
  CHECK(empty == R"({"items":[]})");
}

TEST_CASE("a patch holds only the fields that are set", "[json_encode]") {
  std::string out;
  REQUIRE_FALSE(json::encode(codex::document_patch{}, out));
  CHECK(out == "{}");
  out.clear();
  REQUIRE_FALSE(json::encode(codex::document_patch{.is_public = false}, out));
  CHECK(out == R"({"public":false})");
  out.clear();
  REQUIRE_FALSE(json::encode(codex::document_patch{.body = "b", .tags = std::vector<std::string>{}}, out));
  CHECK(out == R"({"body":"b","tags":[]})");
}

TEST_CASE("ids and the token request", "[json_encode]") {
  const std::vector<std::string> ids{"a", "b\"c"};
  std::string out;
  REQUIRE_FALSE(json::encode_ids(ids, out));
  CHECK(out == R"({"ids":["a","b\"c"]})");
  out.clear();
  REQUIRE_FALSE(json::encode_token_request("cid", "s\\cret", "", out));
  CHECK(out == R"({"client_id":"cid","client_secret":"s\\cret"})");
  out.clear();
  REQUIRE_FALSE(json::encode_token_request("cid", "s", "read write", out));
  CHECK(out == R"({"client_id":"cid","client_secret":"s","scope":"read write"})");
}

TEST_CASE("a whole document round-trips through its decoder", "[json_encode]") {
  const codex::document doc{.id = "doc_1", .project_id = "prj", .title = "t\n", .body = "\xc3\xa9",
                            .tags = {"x"}, .metadata = {{"raw", codex::raw_json{R"([1,{"a":2}])"}}, {"b", true}},
                            .is_public = true, .version = 7, .created_at = "c", .updated_at = "u"};
  std::string out;
  REQUIRE_FALSE(json::encode(doc, out));
  auto back = json::decode_document(out)  /* copied to a padded buffer when it has no room */;
  REQUIRE(back);
  CHECK(*back == doc);
}

TEST_CASE("a failure anywhere leaves the output as it was", "[json_encode]") {
  std::vector<codex::document_input> items(3, codex::document_input{.title = "fine", .body = std::string(100, 'b')});
  SECTION("invalid UTF-8 in the last item's tag") {
    items[2].tags = {"ok", "\xc3\x28"};
    std::string out = "kept";
    CHECK(json::encode_batch(items, out) == errc::invalid_utf8);
    CHECK(out == "kept");
  }
  SECTION("a NaN or an infinity in metadata") {
    for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
      items[1].metadata = {{"x", 1.5}, {"bad", bad}};
      std::string out = "kept";
      CHECK(json::encode_batch(items, out) == errc::invalid_argument);
      CHECK(out == "kept");
      CHECK(json::encode(items[1], out) == errc::invalid_argument);
      CHECK(out == "kept");
    }
  }
  SECTION("an invalid metadata key") {
    codex::document_patch patch{.metadata = codex::metadata{{"\xff", nullptr}}};
    std::string out = "kept";
    CHECK(json::encode(patch, out) == errc::invalid_utf8);
    CHECK(out == "kept");
  }
}
