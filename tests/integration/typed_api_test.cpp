// The typed API end to end against the in-process emulator over TLS: every endpoint,
// its success and error paths, the client-side limits (no request sent), list_all
// over 10,000 documents, and the completion-token forms.

#include "emulator/emulator.hpp"
#include "emulator/http_server_codec.hpp"
#include "json_pointer.hpp"
#include "run_coroutine.hpp"
#include "scripted_listing.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace emu = codex::emulator;
using codex::errc;
using namespace std::chrono_literals;

namespace {

using codex::test::json_text;

emu::emulator_options emulator_options_for(const std::filesystem::path& dir, std::uint32_t rate_limit) {
  emu::emulator_options o;
  o.state_dir = dir;  // for ca.pem
  o.threads = 2;
  o.service.rate_limit.limit = rate_limit;
  return o;
}

/// The emulator on 127.0.0.1:0, and clients of it.
struct running_emulator {
  codex::test::temp_dir dir{"codex-typed-api"};
  emu::emulator server;

  explicit running_emulator(std::uint32_t rate_limit = 1000) : server(emulator_options_for(dir.path, rate_limit)) {
    server.start();
  }
  ~running_emulator() { server.stop(); }

  const emu::seed_credentials& seed() const { return server.credentials(); }

  /// A configuration for `api_key`; empty: anonymous. The client's limit is high: the
  /// emulator's is what the tests are about.
  codex::config config_for(const std::string& api_key) const {
    codex::config cfg;
    cfg.base_url = server.base_url();
    if (!api_key.empty()) cfg.credentials = codex::api_key_credentials{.key = codex::secret(api_key)};
    cfg.transport.tls.ca_file = server.ca_file().string();
    cfg.rate_limit = codex::limit::rate_limit{.limit = 1'000'000, .period = 60s, .burst = 1};
    return cfg;
  }

  /// The control API, called on the service directly: {status, body}.
  std::pair<int, std::string> admin(codex::net::http_method method, std::string target, std::string body) {
    codex::net::codec::server_request request;
    request.method = method;
    request.method_text = std::string(codex::net::to_string(method));
    request.target = std::move(target);
    request.headers.add("X-Emulator-Admin", server.admin_token());
    request.headers.add("Content-Type", "application/json");
    request.body = std::move(body);
    request.body.reserve(request.body.size() + codex::net::body_padding);
    const emu::request_context context{.remote_address = "127.0.0.1", .connection_id = 0, .request_on_connection = 1};
    auto plan = server.api().handle(request, context);
    return {plan.status, plan.body};
  }

  /// Every request any credential made that passed authentication.
  std::uint64_t requests_seen() {
    std::uint64_t n = 0;
    for (const auto& [id, counters] : server.api().stats()) n += counters.requests;
    return n;
  }
};

/// A second read-write project with its own API key, made through the control API.
std::string other_project_key(running_emulator& e) {
  auto [status, project] = e.admin(codex::net::http_method::post, "/_emulator/projects",
                                   R"({"name":"other","permission":"read_write"})");
  REQUIRE(status == 201);
  auto [key_status, key] = e.admin(codex::net::http_method::post, "/_emulator/keys",
                                   R"({"project_id":")" + json_text(project, "/id") + R"(","type":"api_key"})");
  REQUIRE(key_status == 201);
  return json_text(key, "/api_key");
}

codex::document_input input(std::string title, std::vector<std::string> tags = {}) {
  return {.title = std::move(title), .body = "body", .tags = std::move(tags), .metadata = {}};
}

/// Runs `call` and returns the codex::error it threw; fails if it threw nothing.
template <class Awaitable>
asio::awaitable<codex::error_info> thrown_by(Awaitable call) {
  try {
    co_await std::move(call);
  } catch (const codex::error& e) {
    co_return e.info();
  }
  FAIL("the call did not throw codex::error");
  co_return codex::error_info{};
}

}  // namespace

TEST_CASE("account and schema", "[api][integration]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, e.config_for(e.seed().api_key)};
    const codex::account me = co_await api.account();
    CHECK(me.project.id == e.seed().project_id);
    CHECK(me.project.permission == "read_write");
    CHECK(me.credential.type == "api_key");
    CHECK(me.credential.id == e.seed().api_key_id);
    CHECK_FALSE(me.scopes.empty());

    const std::string schema = co_await api.schema();
    CHECK(schema.find("/documents/batch_get") != std::string::npos);

    codex::client anonymous{executor, e.config_for("")};
    const std::string anonymous_schema = co_await anonymous.schema();  // no authentication needed
    CHECK_FALSE(anonymous_schema.empty());
    auto refused = co_await anonymous.try_account();
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == errc::unauthenticated);
    CHECK(refused.error().http_status == 401);
    CHECK_FALSE(refused.error().request_id.empty());
  });
}

TEST_CASE("documents: create, get, list, update with If-Match, remove", "[api][integration]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, e.config_for(e.seed().api_key)};
    auto docs = api.documents();

    codex::document_input in{.title = "Quotes \" and \\ and ünïcödé",
                             .body = "line\nbreak\ttab",
                             .tags = {"typed", "a"},
                             .metadata = {{"n", std::int64_t{3}}, {"ok", true}, {"s", std::string("v")}},
                             .is_public = false};
    const codex::document created = co_await docs.create(in);
    CHECK(created.id.starts_with("doc_"));
    CHECK(created.title == in.title);
    CHECK(created.body == in.body);
    CHECK(created.tags == in.tags);
    CHECK(created.metadata == in.metadata);
    CHECK(created.version == 1);
    CHECK(created.project_id == e.seed().project_id);

    const codex::document fetched = co_await docs.get(created.id);
    CHECK(fetched == created);

    // An upsert with a client-chosen id.
    codex::document_input upsert = input("upserted", {"typed"});
    upsert.id = "my-id.1";
    const codex::document upserted = co_await docs.create(upsert);
    CHECK(upserted.id == "my-id.1");

    // Options are built apart, never braced inside a co_await expression: g++ 12 destroys
    // such an aggregate temporary twice (see documents.hpp).
    const codex::list_options ten_typed{.limit = 10, .tag = "typed"};
    const codex::page<codex::document> page = co_await docs.list(ten_typed);
    CHECK(page.data.size() == 2);
    CHECK_FALSE(page.next_cursor.has_value());
    const codex::list_options one_typed{.limit = 1, .tag = "typed"};
    const auto first = co_await docs.list(one_typed);
    REQUIRE(first.data.size() == 1);
    REQUIRE(first.next_cursor.has_value());
    const codex::list_options next_typed{.limit = 1, .cursor = first.next_cursor, .tag = "typed"};
    const auto second = co_await docs.list(next_typed);
    REQUIRE(second.data.size() == 1);
    CHECK(second.data[0].id != first.data[0].id);

    const codex::document_patch new_title{.title = std::string("new title")};
    const codex::document updated = co_await docs.update(created.id, new_title, created.version);
    CHECK(updated.title == "new title");
    CHECK(updated.body == created.body);
    CHECK(updated.version == 2);
    // Unconditional update.
    const codex::document_patch make_public{.is_public = true};
    const codex::document unconditional = co_await docs.update(created.id, make_public);
    CHECK(unconditional.version == 3);

    // A stale If-Match: 409, nothing changed.
    const codex::document_patch new_body{.body = std::string("x")};
    const auto conflict = co_await thrown_by(docs.update(created.id, new_body, 1));
    CHECK(conflict.code == errc::conflict);
    CHECK(conflict.http_status == 409);
    CHECK_FALSE(conflict.service_code.empty());
    const codex::document unchanged = co_await docs.get(created.id);
    CHECK(unchanged.body == created.body);

    co_await docs.remove(created.id);
    const auto gone = co_await docs.try_get(created.id);
    REQUIRE_FALSE(gone);
    CHECK(gone.code() == errc::not_found);
    CHECK(gone.error().http_status == 404);
    const auto removed_twice = co_await docs.try_remove(created.id);
    CHECK(removed_twice.code() == errc::not_found);
    const auto never_was = co_await thrown_by(docs.get("doc_never_was"));
    CHECK(never_was.code == errc::not_found);
    // Ids are percent-encoded into one path segment.
    const auto odd_id = co_await docs.try_get("a/b?c");
    CHECK(odd_id.code() == errc::not_found);
  });
}

TEST_CASE("another project's private document is 404; batch_get reports it missing", "[api][integration]") {
  running_emulator e;
  const std::string other_key = other_project_key(e);
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client mine{executor, e.config_for(e.seed().api_key)};
    codex::client theirs{executor, e.config_for(other_key)};
    codex::client anonymous{executor, e.config_for("")};

    const auto secret_doc = co_await theirs.documents().create(input("theirs, private"));
    auto public_input = input("theirs, public");
    public_input.is_public = true;
    const auto public_doc = co_await theirs.documents().create(public_input);
    const auto own_doc = co_await mine.documents().create(input("mine"));

    auto hidden = co_await mine.documents().try_get(secret_doc.id);
    REQUIRE_FALSE(hidden);
    CHECK(hidden.code() == errc::not_found);
    CHECK(hidden.error().http_status == 404);
    const auto hidden_from_anonymous = co_await anonymous.documents().try_get(secret_doc.id);
    CHECK(hidden_from_anonymous.code() == errc::not_found);
    const auto public_to_me = co_await mine.documents().get(public_doc.id);
    CHECK(public_to_me.title == "theirs, public");
    const auto public_to_anonymous = co_await anonymous.documents().get(public_doc.id);
    CHECK(public_to_anonymous.id == public_doc.id);
    // Nor can it be written.
    const auto remove_theirs = co_await mine.documents().try_remove(secret_doc.id);
    CHECK(remove_theirs.code() == errc::not_found);

    const std::vector<std::string> ids{own_doc.id, secret_doc.id, public_doc.id, "doc_nothing"};
    const codex::batch_get_result got = co_await mine.documents().batch_get(ids);
    std::set<std::string> found;
    for (const auto& d : got.data) found.insert(d.id);
    CHECK(found == std::set<std::string>{own_doc.id, public_doc.id});
    CHECK(std::set<std::string>(got.missing.begin(), got.missing.end()) ==
          std::set<std::string>{secret_doc.id, "doc_nothing"});
  });
}

TEST_CASE("writes with the read-only key are 403", "[api][integration]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client writer{executor, e.config_for(e.seed().api_key)};
    codex::client reader{executor, e.config_for(e.seed().read_only_api_key)};
    auto docs = reader.documents();

    auto refused = co_await docs.try_create(input("nope"));
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == errc::permission_denied);
    CHECK(refused.error().http_status == 403);
    CHECK(refused.error().service_code == "insufficient_scope");

    const auto doc = co_await writer.documents().create(input("public one"));
    const auto thrown = co_await thrown_by(docs.create(input("nope")));
    CHECK(thrown.code == errc::permission_denied);
    const std::vector<codex::document_input> batch{input("a"), input("b")};
    const auto batch_refused = co_await docs.try_batch_create(batch);
    CHECK(batch_refused.code() == errc::permission_denied);
    const codex::document_patch retitle{.title = std::string("x")};
    const auto update_refused = co_await docs.try_update(doc.id, retitle);
    CHECK(update_refused.code() == errc::permission_denied);
    const auto remove_refused = co_await docs.try_remove(doc.id);
    CHECK(remove_refused.code() == errc::permission_denied);
    const codex::account me = co_await reader.account();
    CHECK(me.project.permission == "read");
    const codex::list_options five{.limit = 5};
    const auto listed = co_await docs.list(five);  // reads still work
    CHECK(listed.data.empty());
  });
}

TEST_CASE("batch_create: per-item 422s with their index and reason", "[api][integration]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, e.config_for(e.seed().api_key)};
    std::vector<codex::document_input> items{input("zero", {"batch"}), input("one"), input("two", {"batch"}),
                                             input("three"), input("four", {"batch"})};
    items[1].id = "spaces are not allowed";  // the emulator's id rule: a per-item 422
    items[3].id = std::string(200, 'x');     // over its 128 characters
    const std::uint64_t accepted_before = e.server.api().stats()[e.seed().api_key_id].batch_items_accepted;

    const codex::batch_result r = co_await api.documents().batch_create(items);
    CHECK(r.succeeded == 3);
    CHECK(r.failed == 2);
    REQUIRE(r.results.size() == 5);
    for (std::size_t i = 0; i < r.results.size(); ++i) {
      const auto& item = r.results[i];
      CHECK(item.index == i);
      if (i == 1 || i == 3) {
        CHECK_FALSE(item.ok());
        CHECK(item.status == 422);
        REQUIRE(item.error.has_value());
        CHECK(item.error->error == "invalid_field");
        CHECK(item.error->message.find("id") != std::string::npos);
        CHECK(item.id.empty());
      } else {
        CHECK(item.ok());
        CHECK(item.status == 201);
        CHECK(item.id.starts_with("doc_"));
        const codex::document stored = co_await api.documents().get(item.id);
        CHECK(stored.title == items[i].title);
      }
    }
    CHECK(e.server.api().stats()[e.seed().api_key_id].batch_items_accepted == accepted_before + 3);

    // An empty batch: nothing to send.
    const auto before = e.requests_seen();
    const codex::batch_result no_items = co_await api.documents().batch_create({});
    CHECK(no_items.results.empty());
    const codex::batch_get_result no_ids = co_await api.documents().batch_get({});
    CHECK(no_ids.data.empty());
    CHECK(e.requests_seen() == before);
  });
}

TEST_CASE("client-side limits: a typed error naming the limit, and no request", "[api][integration]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, e.config_for(e.seed().api_key)};
    auto docs = api.documents();
    (void)co_await api.account();  // one request, so that the counters exist
    const auto stats_before = e.server.api().stats();
    const auto requests_before = e.requests_seen();
    const auto sent_before = api.transport_stats().requests_sent;

    auto expect_refused = [](const auto& outcome, errc code, const std::string& text) {
      REQUIRE_FALSE(outcome);
      CHECK(outcome.code() == code);
      INFO(outcome.error().message);
      CHECK(outcome.error().message.find(text) != std::string::npos);
      CHECK(outcome.error().http_status == 0);
    };

    auto long_title = input(std::string(513, 't'));
    {
      const auto refused = co_await docs.try_create(long_title);
      expect_refused(refused, errc::limit_exceeded, "max_title_bytes");
    }
    auto big_body = input("t");
    big_body.body.assign((1u << 20) + 1, 'b');
    {
      const auto refused = co_await docs.try_create(big_body);
      expect_refused(refused, errc::limit_exceeded, "max_body_bytes");
    }
    auto many_tags = input("t", std::vector<std::string>(65, "tag"));
    {
      const auto refused = co_await docs.try_create(many_tags);
      expect_refused(refused, errc::limit_exceeded, "max_tags");
    }
    auto many_keys = input("t");
    for (int i = 0; i < 65; ++i) many_keys.metadata.emplace_back("k" + std::to_string(i), std::int64_t{i});
    {
      const auto refused = co_await docs.try_create(many_keys);
      expect_refused(refused, errc::limit_exceeded, "max_metadata_keys");
    }
    {
      const auto refused = co_await docs.try_create(input("bad \xC3"));
      expect_refused(refused, errc::invalid_utf8, "title");
    }
    {
      const codex::document_patch long_patch{.title = std::string(600, 'x')};
      const auto refused = co_await docs.try_update("doc_1", long_patch);
      expect_refused(refused, errc::limit_exceeded, "max_title_bytes");
    }

    {
      // The encoder finds the bad byte; the validator then names the item and the field.
      std::vector<codex::document_input> one_bad_tag(3, input("x"));
      one_bad_tag[2].tags = {"fine", "bad \xC3"};
      const auto refused = co_await docs.try_batch_create(one_bad_tag);
      expect_refused(refused, errc::invalid_utf8, "item 2: tags[1]");
    }

    const std::vector<codex::document_input> too_many(1001, input("x"));
    {
      const auto refused = co_await docs.try_batch_create(too_many);
      expect_refused(refused, errc::limit_exceeded, "max_batch_items");
    }
    // Nine bodies of 1 MiB: each item within its limits, the encoded batch over 8 MiB.
    std::vector<codex::document_input> too_big(9, input("x"));
    for (auto& item : too_big) item.body.assign(1u << 20, 'b');
    {
      const auto refused = co_await docs.try_batch_create(too_big);
      expect_refused(refused, errc::limit_exceeded, "max_batch_bytes");
    }
    std::vector<codex::document_input> one_bad(3, input("x"));
    one_bad[2].tags.assign(65, "t");
    {
      const auto refused = co_await docs.try_batch_create(one_bad);
      expect_refused(refused, errc::limit_exceeded, "item 2: tags");
    }
    const std::vector<std::string> too_many_ids(1001, "doc_1");
    {
      const auto refused = co_await docs.try_batch_get(too_many_ids);
      expect_refused(refused, errc::limit_exceeded, "max_batch_items");
    }
    {
      const codex::list_options too_long_a_page{.limit = 1001};
      const auto refused = co_await docs.try_list(too_long_a_page);
      expect_refused(refused, errc::invalid_argument, "max_page_size");
    }
    {
      const auto refused = co_await docs.try_get("");
      expect_refused(refused, errc::invalid_argument, "empty");
    }

    // The throwing form throws the same typed error.
    const auto thrown = co_await thrown_by(docs.create(long_title));
    CHECK(thrown.code == errc::limit_exceeded);

    CHECK(e.requests_seen() == requests_before);
    CHECK(e.server.api().stats().at(e.seed().api_key_id).requests == stats_before.at(e.seed().api_key_id).requests);
    CHECK(api.transport_stats().requests_sent == sent_before);
  });
}

TEST_CASE("list_all visits each of 10,000 documents exactly once, one page fetched ahead", "[api][integration]") {
  running_emulator e{1'000'000};
  std::set<std::string> created;
  codex::test::run_coroutine(
      [&](asio::any_io_executor executor) -> asio::awaitable<void> {
        codex::client api{executor, e.config_for(e.seed().api_key)};
        auto docs = api.documents();
        // Built apart: a braced list inside the co_await expression trips g++ 12
        // ("array used as initializer").
        auto outsider = input("not in the walk", {"other"});
        (void)co_await docs.create(std::move(outsider));
        for (int batch = 0; batch < 10; ++batch) {
          std::vector<codex::document_input> items;
          for (int i = 0; i < 1000; ++i) items.push_back(input("doc " + std::to_string(batch * 1000 + i), {"bulk"}));
          const auto r = co_await docs.batch_create(items);
          REQUIRE(r.succeeded == 1000);
          for (const auto& item : r.results) created.insert(item.id);
        }
        REQUIRE(created.size() == 10'000);

        auto all = docs.list_all({.limit = 1000, .tag = "bulk"});
        CHECK(all.pages_fetched() == 0);  // nothing is sent before the first next()
        std::set<std::string> seen;
        std::size_t visits = 0;
        for (;;) {
          // (Not `while (auto doc = co_await …)`: g++ 12 rejects a co_await in a condition
          // declaration of a coroutine lambda, "array used as initializer".)
          const std::optional<codex::document> doc = co_await all.next();
          if (!doc) break;
          ++visits;
          seen.insert(doc->id);
          if (visits == 1) {
            // While the first page is being consumed, the second arrives — and no third.
            asio::steady_timer pause{executor, 300ms};
            co_await pause.async_wait(asio::use_awaitable);
            CHECK(all.pages_fetched() == 2);
          }
        }
        CHECK(visits == 10'000);
        CHECK(seen == created);
        CHECK(all.pages_fetched() == 10);
        const auto after_the_end = co_await all.next();  // stays finished
        CHECK_FALSE(after_the_end.has_value());

        // A bad page size surfaces from next() as a typed error.
        auto bad = docs.list_all({.limit = 0});
        auto failure = co_await bad.try_next();
        CHECK(failure.code() == errc::invalid_argument);
      },
      std::chrono::seconds(240));
}

/// Every id list_all hands out from `server` (listing from the first page), and the
/// error that ended the walk (a default error_info when it ended at the last page).
struct walk_outcome {
  std::vector<std::string> ids;
  codex::error_info ended_by;
  codex::error_info after_that;  ///< what one more next() returned
};

walk_outcome walk(const codex::test::test_server& server, std::optional<std::string> start = {}) {
  walk_outcome out;
  codex::test::run_coroutine(
      [&](asio::any_io_executor executor) -> asio::awaitable<void> {
        codex::config cfg;
        cfg.base_url = server.base_url() + "/v1";
        cfg.credentials = codex::api_key_credentials{.key = codex::secret("cdx_scripted_0123456789abcdef")};
        cfg.transport.tls.ca_file = server.ca_file();
        codex::client api{executor, std::move(cfg)};
        auto stream = api.documents().list_all({.cursor = std::move(start)});
        for (;;) {
          auto next = co_await stream.try_next();
          if (!next) {
            out.ended_by = next.error();
            break;
          }
          if (!*next) break;
          out.ids.push_back((*next)->id);
        }
        auto again = co_await stream.try_next();
        if (!again) out.after_that = again.error();
      },
      std::chrono::seconds(60));
  return out;
}

TEST_CASE("list_all stops with cursor_repeated when a server leads it round in a circle", "[api][integration][pages]") {
  using codex::test::scripted_page;
  SECTION("distinct cursors: every page, in order, then the end") {
    codex::test::scripted_listing script{{{"", scripted_page{{"a1", "a2"}, "c2"}},
                                          {"c2", scripted_page{{"b1"}, "c3"}},
                                          {"c3", scripted_page{{"c1"}, std::nullopt}}}};
    codex::test::test_server server{script.handler()};
    const auto w = walk(server);
    CHECK_FALSE(w.ended_by.code);
    CHECK(w.ids == std::vector<std::string>{"a1", "a2", "b1", "c1"});
    CHECK(script.requests() == 3);
  }
  SECTION("a page that names its own cursor: its documents, then the error, and no request again") {
    codex::test::scripted_listing script{{{"", scripted_page{{"a1"}, "c2"}}, {"c2", scripted_page{{"b1"}, "c2"}}}};
    codex::test::test_server server{script.handler()};
    const auto w = walk(server);
    CHECK(w.ids == std::vector<std::string>{"a1", "b1"});
    CHECK(w.ended_by.code == errc::cursor_repeated);
    CHECK(w.after_that.code == errc::cursor_repeated);  // the walk stays ended
    CHECK(script.requests() == 2);
  }
  SECTION("an empty page that names the cursor it was fetched at") {
    codex::test::scripted_listing script{{{"", scripted_page{{"a1"}, "c2"}}, {"c2", scripted_page{{}, "c2"}}}};
    codex::test::test_server server{script.handler()};
    const auto w = walk(server);
    CHECK(w.ids == std::vector<std::string>{"a1"});
    CHECK(w.ended_by.code == errc::cursor_repeated);
    CHECK(script.requests() == 2);
  }
  SECTION("a longer circle (c2 → c3 → c2) and one back to where the walk started") {
    codex::test::scripted_listing script{{{"", scripted_page{{"a1"}, "c2"}},
                                          {"c2", scripted_page{{"b1"}, "c3"}},
                                          {"c3", scripted_page{{"c1"}, "c2"}},
                                          {"start", scripted_page{{"s1"}, "c4"}},
                                          {"c4", scripted_page{{"d1"}, "start"}}}};
    codex::test::test_server server{script.handler()};
    const auto circle = walk(server);
    CHECK(circle.ids == std::vector<std::string>{"a1", "b1", "c1"});
    CHECK(circle.ended_by.code == errc::cursor_repeated);
    CHECK_THAT(circle.ended_by.message, Catch::Contains("cursor already followed"));
    const auto back_to_start = walk(server, "start");
    CHECK(back_to_start.ids == std::vector<std::string>{"s1", "d1"});
    CHECK(back_to_start.ended_by.code == errc::cursor_repeated);
  }
}

TEST_CASE("completion tokens: a callback", "[api][integration][token]") {
  running_emulator e;
  asio::io_context io;
  codex::client api{io.get_executor(), e.config_for(e.seed().api_key)};
  std::string created_id, fetched_title;
  std::exception_ptr failure = nullptr;
  bool missing_was_404 = false;
  api.documents().create(input("by callback"), [&](std::exception_ptr e1, codex::document created) {
    if (e1) {
      failure = e1;
      io.stop();
      return;
    }
    created_id = created.id;
    api.documents().get(created.id, [&](std::exception_ptr e2, codex::document got) {
      failure = e2;
      fetched_title = got.title;
      api.documents().get("doc_missing", [&](std::exception_ptr e3, codex::document) {
        try {
          if (e3) std::rethrow_exception(e3);
        } catch (const codex::error& error) {
          missing_was_404 = error.code() == errc::not_found;
        }
        io.stop();
      });
    });
  });
  io.run_for(30s);
  if (failure) std::rethrow_exception(failure);
  CHECK(created_id.starts_with("doc_"));
  CHECK(fetched_title == "by callback");
  CHECK(missing_was_404);
}

TEST_CASE("completion tokens: asio::use_future with the io_context in another thread", "[api][integration][token]") {
  running_emulator e;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  {
    codex::client api{io.get_executor(), e.config_for(e.seed().api_key)};
    std::future<codex::account> me = api.account(asio::use_future);
    CHECK(me.get().project.id == e.seed().project_id);

    const auto doc = api.documents().create(input("by future"), asio::use_future).get();
    std::future<void> removed = api.documents().remove(doc.id, asio::use_future);
    CHECK_NOTHROW(removed.get());
    auto missing = api.documents().get(doc.id, asio::use_future);
    try {
      missing.get();
      FAIL("expected not_found");
    } catch (const codex::error& error) {
      CHECK(error.code() == errc::not_found);
      CHECK(error.http_status() == 404);
    }
    const std::vector<std::string> ids{doc.id};
    CHECK(api.documents().batch_get(ids, asio::use_future).get().missing == ids);
  }
  work.reset();
  io.stop();
  runner.join();
}

TEST_CASE("completion tokens: as_tuple(use_awaitable)", "[api][integration][token]") {
  running_emulator e;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, e.config_for(e.seed().api_key)};
    auto docs = api.documents();
    const auto token = asio::experimental::as_tuple(asio::use_awaitable);

    auto tagged = input("by tuple", {"tuple"});  // built apart: see the list_all test
    auto [e1, doc] = co_await docs.create(std::move(tagged), token);
    CHECK_FALSE(e1);
    const codex::list_options tuple_tag{.tag = "tuple"};
    auto [e2, page] = co_await docs.list(tuple_tag, token);
    CHECK_FALSE(e2);
    CHECK(page.data.size() == 1);
    const codex::document_patch t2{.title = std::string("t2")};
    auto [e3, updated] = co_await docs.update(doc.id, t2, 5, token);
    REQUIRE(e3);
    try {
      std::rethrow_exception(e3);
    } catch (const codex::error& error) {
      CHECK(error.code() == errc::conflict);
    }
    auto stream = docs.list_all({.tag = "tuple"});
    auto [e4, first] = co_await stream.next(token);
    CHECK_FALSE(e4);
    REQUIRE(first.has_value());
    CHECK(first->id == doc.id);
    auto [e5] = co_await docs.remove(doc.id, token);
    CHECK_FALSE(e5);
    auto [e6, schema] = co_await api.schema(token);
    CHECK_FALSE(e6);
    CHECK_FALSE(schema.empty());
  });
}
