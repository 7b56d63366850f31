// A user's own test of their code, against the emulator started in-process by the test
// kit (<codex/testing/emulator.hpp>, library codex-testing / CMake codex::testing).
//
// The code under test is `tag_report`, a function of the user's program: it counts the
// documents that carry a tag. Each test starts an emulator (a real HTTPS server on
// 127.0.0.1 and an ephemeral port, its own keys and documents), builds a client from
// the emulator's ready configuration, and checks what the function does — with API keys
// and with client credentials, and when the service fails.

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <codex/codex.hpp>
#include <codex/testing/emulator.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <string>
#include <vector>

namespace {

using codex::testing::credential_kind;

// ---- the user's code -----------------------------------------------------------

asio::awaitable<std::size_t> tag_report(codex::client& api, std::string tag) {
  codex::list_options options{.limit = 1000, .tag = std::move(tag)};
  auto all = api.documents().list_all(std::move(options));
  std::size_t count = 0;
  while (auto document = co_await all.next()) ++count;
  co_return count;
}

// ---- the test's helpers ----------------------------------------------------------

/// Runs `body(client)` on an event loop of its own, at most 30 s; returns its value or
/// rethrows its exception.
template <class Body>
auto run_with(codex::config cfg, Body body) {
  asio::io_context io;
  codex::client api{io.get_executor(), std::move(cfg)};
  auto result = asio::co_spawn(io, body(api), asio::use_future);
  io.run_for(std::chrono::seconds(30));
  REQUIRE(result.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  return result.get();
}

asio::awaitable<void> create_tagged(codex::client& api, std::size_t n, std::string tag) {
  std::vector<codex::document_input> items;
  for (std::size_t i = 0; i < n; ++i) items.push_back({.title = "doc " + std::to_string(i), .tags = {tag}});
  const codex::batch_result result = co_await api.documents().batch_create(items);
  REQUIRE(result.failed == 0);
}

}  // namespace

TEST_CASE("tag_report counts the documents of a tag", "[example]") {
  codex::testing::emulator server;
  run_with(server.config(), [](codex::client& api) -> asio::awaitable<void> {
    co_await create_tagged(api, 3, "red");
    co_await create_tagged(api, 2, "blue");
  });

  CHECK(run_with(server.config(), [](codex::client& api) { return tag_report(api, "red"); }) == 3);
  const codex::testing::counters used = server.counters_of(credential_kind::api_key);
  CHECK(used.requests == 3);  // two batches, one page
  CHECK(used.batch_items_accepted == 5);
  CHECK(used.rate_limited == 0);
}

TEST_CASE("tag_report with client credentials fetches one token for every call", "[example]") {
  codex::testing::emulator server;
  const codex::config cfg = server.config(credential_kind::client_credentials);
  run_with(cfg, [](codex::client& api) -> asio::awaitable<void> {
    co_await create_tagged(api, 1, "green");
    // Results in named variables: a co_await inside Catch's macros would keep its
    // temporaries across the suspension.
    const std::size_t first = co_await tag_report(api, "green");
    const std::size_t second = co_await tag_report(api, "green");
    CHECK(first == 1);
    CHECK(second == 1);
  });
  CHECK(server.counters_of(credential_kind::client_credentials).tokens_issued == 1);
}

TEST_CASE("tag_report reports an outage as a typed error, and works again after it", "[example]") {
  codex::testing::emulator server;
  codex::config cfg = server.config();
  cfg.retry.max_attempts = 2;  // the outage is total: one retry is enough to show it
  server.set_faults({.p503 = 1});
  try {
    run_with(cfg, [](codex::client& api) { return tag_report(api, "red"); });
    FAIL("tag_report should have failed");
  } catch (const codex::error& e) {
    CHECK(e.code() == codex::errc::server_error);
    CHECK(e.http_status() == 503);
  }

  server.set_faults({});
  CHECK(run_with(cfg, [](codex::client& api) { return tag_report(api, "red"); }) == 0);
}

TEST_CASE("tag_report survives a connection that fails at any step", "[example]") {
  codex::testing::emulator server;
  run_with(server.config(), [](codex::client& api) { return create_tagged(api, 2, "red"); });
  // A fresh client per step, so that its one connection is the one counted: accept,
  // TLS handshake, the read of the request, the write of the response.
  for (std::uint64_t n = 1; n <= 4; ++n) {
    INFO("step " << n);
    server.fail_step(n, codex::testing::step_failure::reset);
    CHECK(run_with(server.config(), [](codex::client& api) { return tag_report(api, "red"); }) == 2);
  }
  // The batch, a page per step, and the page whose answer was reset in its write: the
  // emulator did that work, the client never saw it and asked again.
  CHECK(server.counters_of(credential_kind::api_key).requests == 1 + 4 + 1);
}

TEST_CASE("a read-only key cannot write", "[example]") {
  codex::testing::emulator server;
  try {
    run_with(server.config(credential_kind::read_only_api_key),
             [](codex::client& api) { return create_tagged(api, 1, "red"); });
    FAIL("the write should have been refused");
  } catch (const codex::error& e) {
    CHECK(e.code() == codex::errc::permission_denied);
  }
}
