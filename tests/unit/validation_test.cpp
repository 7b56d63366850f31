// The client-side checks that run before any request: pure functions, no I/O.

#include <codex/api/validation.hpp>

#include "api/validation_limits.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using codex::errc;

namespace {

codex::document_input valid_input() {
  return {.title = "a title", .body = "a body", .tags = {"t"}, .metadata = {{"k", std::int64_t{1}}}};
}

codex::metadata metadata_of(std::size_t n) {
  codex::metadata m;
  for (std::size_t i = 0; i < n; ++i) m.emplace_back("k" + std::to_string(i), std::string("v"));
  return m;
}

bool mentions(const codex::result<void>& r, const std::string& text) {
  return r.error().message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("a document within every limit passes", "[api][validation]") {
  CHECK(codex::validate(valid_input()));
  auto at_limits = valid_input();
  at_limits.title.assign(codex::document_limits::max_title_bytes, 'x');
  at_limits.body.assign(codex::document_limits::max_body_bytes, 'x');
  at_limits.tags.assign(codex::document_limits::max_tags, "t");
  at_limits.metadata = metadata_of(codex::document_limits::max_metadata_keys);
  CHECK(codex::validate(at_limits));
}

TEST_CASE("each document limit, one byte or item over, is limit_exceeded naming the limit", "[api][validation]") {
  auto in = valid_input();
  SECTION("title") {
    in.title.assign(codex::document_limits::max_title_bytes + 1, 'x');
    auto r = codex::validate(in);
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::limit_exceeded);
    CHECK(mentions(r, "title is 513 bytes"));
    CHECK(mentions(r, "512"));
    CHECK(mentions(r, "max_title_bytes"));
  }
  SECTION("title counts bytes, not characters") {
    in.title.clear();
    for (int i = 0; i < 257; ++i) in.title += "\xC3\xA9";  // 257 × 'é' = 514 bytes
    CHECK(codex::validate(in).code() == errc::limit_exceeded);
  }
  SECTION("body") {
    in.body.assign(codex::document_limits::max_body_bytes + 1, 'x');
    auto r = codex::validate(in);
    CHECK(r.code() == errc::limit_exceeded);
    CHECK(mentions(r, "max_body_bytes"));
  }
  SECTION("tags") {
    in.tags.assign(65, "t");
    auto r = codex::validate(in);
    CHECK(r.code() == errc::limit_exceeded);
    CHECK(mentions(r, "tags is 65 tags, over the limit of 64"));
  }
  SECTION("metadata keys") {
    in.metadata = metadata_of(65);
    auto r = codex::validate(in);
    CHECK(r.code() == errc::limit_exceeded);
    CHECK(mentions(r, "max_metadata_keys"));
  }
}

TEST_CASE("invalid UTF-8 anywhere in a document is invalid_utf8 naming the field", "[api][validation]") {
  const std::string bad = "ok\xC3(";  // a truncated two-byte sequence
  auto in = valid_input();
  SECTION("title") {
    in.title = bad;
    auto r = codex::validate(in);
    CHECK(r.code() == errc::invalid_utf8);
    CHECK(mentions(r, "title"));
  }
  SECTION("body") {
    in.body = bad;
    CHECK(codex::validate(in).code() == errc::invalid_utf8);
  }
  SECTION("a tag") {
    in.tags = {"fine", bad};
    auto r = codex::validate(in);
    CHECK(r.code() == errc::invalid_utf8);
    CHECK(mentions(r, "tags[1]"));
  }
  SECTION("a metadata key") {
    in.metadata = {{bad, nullptr}};
    CHECK(codex::validate(in).code() == errc::invalid_utf8);
  }
  SECTION("a metadata string value") {
    in.metadata = {{"k", bad}};
    auto r = codex::validate(in);
    CHECK(r.code() == errc::invalid_utf8);
    CHECK(mentions(r, "metadata[\"k\"]"));
  }
  SECTION("an overlong encoding and a surrogate") {
    in.title = "\xC0\xAF";
    CHECK(codex::validate(in).code() == errc::invalid_utf8);
    in.title = "\xED\xA0\x80";
    CHECK(codex::validate(in).code() == errc::invalid_utf8);
  }
  SECTION("the client id") {
    in.id = bad;
    CHECK(codex::validate(in).code() == errc::invalid_utf8);
  }
}

TEST_CASE("an empty client id is invalid_argument; server-specific id rules are left to the server",
          "[api][validation]") {
  auto in = valid_input();
  in.id = "";
  CHECK(codex::validate(in).code() == errc::invalid_argument);
  in.id = "not a valid emulator id!";
  CHECK(codex::validate(in));
}

TEST_CASE("a patch is checked on the fields it sets", "[api][validation]") {
  CHECK(codex::validate(codex::document_patch{}));
  CHECK(codex::validate(codex::document_patch{.title = std::string(512, 'x')}));
  CHECK(codex::validate(codex::document_patch{.title = std::string(513, 'x')}).code() == errc::limit_exceeded);
  CHECK(codex::validate(codex::document_patch{.body = std::string((1u << 20) + 1, 'x')}).code() ==
        errc::limit_exceeded);
  CHECK(codex::validate(codex::document_patch{.tags = std::vector<std::string>(65, "t")}).code() ==
        errc::limit_exceeded);
  CHECK(codex::validate(codex::document_patch{.metadata = metadata_of(65)}).code() == errc::limit_exceeded);
  CHECK(codex::validate(codex::document_patch{.body = std::string("\xFF")}).code() == errc::invalid_utf8);
}

TEST_CASE("batches: at most 1000 items, each valid, the failing index named", "[api][validation]") {
  std::vector<codex::document_input> items(1000, valid_input());
  CHECK(codex::validate_batch(items));
  CHECK(codex::validate_batch({}));

  items.push_back(valid_input());
  auto over = codex::validate_batch(items);
  CHECK(over.code() == errc::limit_exceeded);
  CHECK(mentions(over, "1001 items"));
  CHECK(mentions(over, "max_batch_items"));

  items.resize(10);
  items[7].title.assign(600, 'x');
  auto bad_item = codex::validate_batch(items);
  CHECK(bad_item.code() == errc::limit_exceeded);
  CHECK(bad_item.error().message.starts_with("item 7: title is 600 bytes"));
}

TEST_CASE("the encoded batch: at most 8 MiB", "[api][validation]") {
  CHECK(codex::validate_batch_bytes(0));
  CHECK(codex::validate_batch_bytes(8u << 20));
  auto r = codex::validate_batch_bytes((8u << 20) + 1);
  CHECK(r.code() == errc::limit_exceeded);
  CHECK(mentions(r, "max_batch_bytes"));
  CHECK(mentions(r, "8388609 bytes"));
}

TEST_CASE("batch_get ids: at most 1000, none empty", "[api][validation]") {
  std::vector<std::string> ids(1000, "doc_1");
  CHECK(codex::validate_batch_ids(ids));
  ids.push_back("doc_2");
  CHECK(codex::validate_batch_ids(ids).code() == errc::limit_exceeded);
  ids = {"doc_1", "", "doc_3"};
  auto r = codex::validate_batch_ids(ids);
  CHECK(r.code() == errc::invalid_argument);
  CHECK(r.error().message.starts_with("item 1: "));
}

TEST_CASE("ids and list options", "[api][validation]") {
  CHECK(codex::validate_id("doc_1"));
  CHECK(codex::validate_id("with/slash and space"));  // percent-encoded in the path
  CHECK(codex::validate_id("").code() == errc::invalid_argument);
  CHECK(codex::validate_id("\xFE").code() == errc::invalid_utf8);

  CHECK(codex::validate(codex::list_options{}));
  CHECK(codex::validate(codex::list_options{.limit = 1}));
  CHECK(codex::validate(codex::list_options{.limit = 1000, .cursor = "c", .tag = "t"}));
  CHECK(codex::validate(codex::list_options{.limit = 0}).code() == errc::invalid_argument);
  auto r = codex::validate(codex::list_options{.limit = 1001});
  CHECK(r.code() == errc::invalid_argument);
  CHECK(mentions(r, "max_page_size"));
  CHECK(codex::validate(codex::list_options{.tag = std::string("\x80")}).code() == errc::invalid_utf8);
}

TEST_CASE("a batch's limits without the UTF-8 checks: the same verdicts and messages as validate_batch",
          "[api][validation]") {
  // validate_batch_limits has a fast path for batches within every limit: each limit,
  // at and one over, must still get validate_batch's verdict and message.
  using limits = codex::document_limits;
  const auto at_item_3 = [](auto&& change) {
    std::vector<codex::document_input> items(5, valid_input());
    change(items[3]);
    return items;
  };
  const std::vector<std::vector<codex::document_input>> within = {
      at_item_3([](auto& in) { in.title.assign(limits::max_title_bytes, 'x'); }),
      at_item_3([](auto& in) { in.body.assign(limits::max_body_bytes, 'x'); }),
      at_item_3([](auto& in) { in.tags.assign(limits::max_tags, "t"); }),
      at_item_3([](auto& in) { in.metadata = metadata_of(limits::max_metadata_keys); }),
      at_item_3([](auto& in) { in.id = "doc_1"; }),
  };
  for (const auto& items : within) CHECK(codex::api::detail::validate_batch_limits(items));

  const std::vector<std::vector<codex::document_input>> over = {
      at_item_3([](auto& in) { in.title.assign(limits::max_title_bytes + 1, 'x'); }),
      at_item_3([](auto& in) { in.body.assign(limits::max_body_bytes + 1, 'x'); }),
      at_item_3([](auto& in) { in.tags.assign(limits::max_tags + 1, "t"); }),
      at_item_3([](auto& in) { in.metadata = metadata_of(limits::max_metadata_keys + 1); }),
      at_item_3([](auto& in) { in.id = ""; }),
  };
  for (const auto& items : over) {
    const auto fast = codex::api::detail::validate_batch_limits(items);
    const auto full = codex::validate_batch(items);
    REQUIRE_FALSE(fast);
    REQUIRE_FALSE(full);
    CHECK(fast.code() == full.code());
    CHECK(fast.error().message == full.error().message);
    CHECK(fast.error().message.starts_with("item 3: "));
  }

  // UTF-8 is the encoder's to check (api/validation_limits.hpp).
  auto bad_text = at_item_3([](auto& in) { in.body = "\xC3"; });
  CHECK(codex::api::detail::validate_batch_limits(bad_text));
  CHECK(codex::validate_batch(bad_text).code() == errc::invalid_utf8);
}
