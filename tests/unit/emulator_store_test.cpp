// The emulator's state: credentials (regeneration revokes), documents (cursor
// pagination under concurrent inserts), and the idempotency cache.

#include "emulator/credentials.hpp"
#include "emulator/document_store.hpp"
#include "emulator/idempotency_cache.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace codex::emulator;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::system_clock::time_point{std::chrono::seconds(1'800'000'000)};

document_input titled(std::string title, std::vector<std::string> tags = {}) {
  document_input in;
  in.title = std::move(title);
  in.tags = std::move(tags);
  return in;
}

}  // namespace

TEST_CASE("API keys and client secrets: formats, lookup, regeneration", "[emulator][store]") {
  credential_store store;
  const project& p = store.create_project("p", permission::read_write);
  CHECK(p.id.starts_with("prj_"));
  const auto key = store.create(p.id, credential_type::api_key);
  REQUIRE(key);
  CHECK(key->secret.starts_with("cdx_"));
  CHECK(key->secret.size() == 44);
  CHECK(key->secret.find_first_not_of("0123456789abcdef", 4) == std::string::npos);
  CHECK(key->info.secret_hash != key->secret);
  REQUIRE(store.find_api_key(key->secret) != nullptr);
  CHECK(store.find_api_key(key->secret)->id == key->info.id);
  CHECK(store.find_api_key("cdx_" + std::string(40, '0')) == nullptr);

  const auto client = store.create(p.id, credential_type::client);
  REQUIRE(client);
  CHECK(client->info.id.starts_with("cid_"));
  CHECK(client->secret.starts_with("cs_"));
  CHECK(store.authenticate_client(client->info.id, client->secret) != nullptr);
  CHECK(store.authenticate_client(client->info.id, "cs_wrong") == nullptr);
  CHECK(store.authenticate_client(key->info.id, key->secret) == nullptr);  // a key is not a client

  const auto new_key = store.regenerate(key->info.id);
  REQUIRE(new_key);
  CHECK(new_key->info.id == key->info.id);
  CHECK(store.find_api_key(key->secret) == nullptr);  // the old key is revoked at once
  CHECK(store.find_api_key(new_key->secret) != nullptr);

  const auto new_secret = store.regenerate(client->info.id);
  REQUIRE(new_secret);
  CHECK(new_secret->info.generation != client->info.generation);  // earlier tokens die too
  CHECK(store.authenticate_client(client->info.id, client->secret) == nullptr);
  CHECK(store.authenticate_client(client->info.id, new_secret->secret) != nullptr);
  CHECK_FALSE(store.regenerate("key_missing"));
  CHECK_FALSE(store.create("prj_missing", credential_type::api_key));
}

TEST_CASE("generations keep increasing across clear()", "[emulator][store]") {
  credential_store store;
  store.insert_project({.id = "prj_1", .name = "p", .access = permission::read});
  const auto a = store.insert("cid_1", "prj_1", credential_type::client, "cs_1");
  store.clear();
  store.insert_project({.id = "prj_1", .name = "p", .access = permission::read});
  const auto b = store.insert("cid_1", "prj_1", credential_type::client, "cs_1");
  CHECK(b.info.generation > a.info.generation);
}

TEST_CASE("documents: upsert, patch with versions, visibility, delete", "[emulator][store]") {
  document_store docs;
  auto created = docs.upsert("prj_a", titled("one"), "doc_1", t0, 100);
  REQUIRE(created.status == write_status::created);
  CHECK(created.doc->version == 1);

  document_input again = titled("one again");
  again.id = "doc_1";
  auto updated = docs.upsert("prj_a", again, "unused", t0 + 1s, 100);
  CHECK(updated.status == write_status::updated);
  CHECK(updated.doc->version == 2);
  CHECK(updated.doc->title == "one again");
  CHECK(updated.doc->created_at == t0);
  CHECK(updated.doc->updated_at == t0 + 1s);
  CHECK(docs.upsert("prj_b", again, "unused", t0, 100).status == write_status::id_taken);

  CHECK(docs.patch("prj_a", "doc_1", titled("x"), 1, t0).status == write_status::version_conflict);
  CHECK(docs.patch("prj_a", "doc_1", titled("x"), 2, t0).doc->version == 3);
  CHECK(docs.patch("prj_b", "doc_1", titled("x"), std::nullopt, t0).status == write_status::not_found);

  CHECK(docs.find_visible("doc_1", "prj_a"));
  CHECK_FALSE(docs.find_visible("doc_1", "prj_b"));
  CHECK_FALSE(docs.find_visible("doc_1", ""));
  document_input make_public;
  make_public.is_public = true;
  docs.patch("prj_a", "doc_1", make_public, std::nullopt, t0);
  CHECK(docs.find_visible("doc_1", "prj_b"));
  CHECK(docs.find_visible("doc_1", ""));
  CHECK(docs.list("", 0, 10, std::nullopt).items.size() == 1);

  CHECK_FALSE(docs.remove("prj_b", "doc_1"));
  CHECK(docs.remove("prj_a", "doc_1"));
  CHECK_FALSE(docs.find_visible("doc_1", "prj_a"));
  CHECK(docs.list("", 0, 10, std::nullopt).items.empty());
  CHECK(docs.size() == 0);
}

TEST_CASE("documents: the maximum count is enforced", "[emulator][store]") {
  document_store docs;
  CHECK(docs.upsert("p", titled("a"), "d1", t0, 2).status == write_status::created);
  CHECK(docs.upsert("p", titled("b"), "d2", t0, 2).status == write_status::created);
  CHECK(docs.upsert("p", titled("c"), "d3", t0, 2).status == write_status::quota_exceeded);
  document_input same = titled("a2");
  same.id = "d1";
  CHECK(docs.upsert("p", same, "", t0, 2).status == write_status::updated);  // updates still work
}

TEST_CASE("pagination visits each pre-existing document exactly once while inserts happen", "[emulator][store]") {
  document_store docs;
  constexpr int existing = 10'000;
  for (int i = 0; i < existing; ++i) docs.upsert("p", titled("t"), "pre_" + std::to_string(i), t0, 1'000'000);
  docs.upsert("other", titled("t"), "foreign", t0, 1'000'000);

  std::multiset<std::string> seen;
  std::uint64_t after = 0;
  int pages = 0, inserted = 0;
  for (;;) {
    const auto page = docs.list("p", after, 97, std::nullopt);
    for (const auto& d : page.items) seen.insert(d->id);
    ++pages;
    // Between pages, other writers insert documents and update old ones.
    for (int k = 0; k < 13; ++k) docs.upsert("p", titled("new"), "new_" + std::to_string(inserted++), t0, 1'000'000);
    docs.patch("p", "pre_" + std::to_string(pages % existing), titled("changed"), std::nullopt, t0);
    if (!page.next_after) break;
    // The cursor survives its text form.
    after = *decode_cursor(encode_cursor(*page.next_after));
  }
  for (int i = 0; i < existing; ++i) REQUIRE(seen.count("pre_" + std::to_string(i)) == 1);
  CHECK(seen.count("foreign") == 0);
  // New documents show up at most once too.
  for (const auto& id : seen) REQUIRE(seen.count(id) == 1);
}

TEST_CASE("pagination with a tag filter and exact page ends", "[emulator][store]") {
  document_store docs;
  for (int i = 0; i < 10; ++i) {
    docs.upsert("p", titled("t", i % 2 ? std::vector<std::string>{"odd"} : std::vector<std::string>{}),
                "d" + std::to_string(i), t0, 100);
  }
  auto page = docs.list("p", 0, 5, "odd");
  CHECK(page.items.size() == 5);
  CHECK_FALSE(page.next_after);  // exactly five odd documents: no empty last page
  page = docs.list("p", 0, 3, "odd");
  REQUIRE(page.next_after);
  page = docs.list("p", *page.next_after, 3, "odd");
  CHECK(page.items.size() == 2);
  CHECK_FALSE(page.next_after);
  CHECK(docs.list("nobody", 0, 5, std::nullopt).items.empty());
}

TEST_CASE("idempotency: first, in progress, replay byte for byte", "[emulator][idempotency]") {
  idempotency_cache cache{100, 24h};
  const auto key = idempotency_cache::make_key("key_1", "POST", "/v1/documents", "k-1");
  stored_response out;
  CHECK(cache.begin(key, 0s, out) == idempotency_state::first);
  CHECK(cache.begin(key, 1s, out) == idempotency_state::in_progress);

  stored_response first{201, {}, R"({"id":"doc_1"})"};
  first.headers.add("X-Request-Id", "req_first");
  first.headers.add("Content-Type", "application/json");
  cache.complete(key, first, 2s);
  REQUIRE(cache.begin(key, 3s, out) == idempotency_state::replay);
  CHECK(out.status == 201);
  CHECK(out.body == first.body);
  REQUIRE(out.headers.size() == 2);
  CHECK(out.headers.find("X-Request-Id") == "req_first");

  // Another credential, method, path or key is another entry.
  CHECK(cache.begin(idempotency_cache::make_key("key_2", "POST", "/v1/documents", "k-1"), 3s, out) ==
        idempotency_state::first);
  CHECK(cache.begin(idempotency_cache::make_key("key_1", "POST", "/v1/documents/batch", "k-1"), 3s, out) ==
        idempotency_state::first);
}

TEST_CASE("idempotency: expiry after the TTL, abandon, bounded size", "[emulator][idempotency]") {
  idempotency_cache cache{3, 24h};
  stored_response out;
  CHECK(cache.begin("a", 0s, out) == idempotency_state::first);
  cache.complete("a", {200, {}, "A"}, 0s);
  CHECK(cache.begin("a", 24h - 1s, out) == idempotency_state::replay);
  CHECK(cache.begin("a", 24h, out) == idempotency_state::first);  // expired: processed anew

  CHECK(cache.begin("b", 24h, out) == idempotency_state::first);
  cache.abandon("b");
  CHECK(cache.begin("b", 24h, out) == idempotency_state::first);  // a 5xx is not remembered

  for (const char* k : {"c", "d", "e", "f"}) {
    cache.begin(k, 25h, out);
    cache.complete(k, {200, {}, k}, 25h);
  }
  CHECK(cache.size() <= 3);
  CHECK(cache.begin("f", 25h, out) == idempotency_state::replay);
  CHECK(out.body == "f");
}
