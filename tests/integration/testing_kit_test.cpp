// The test kit's own promises (<codex/testing/emulator.hpp>), beyond what the example
// user test shows: anonymous configs, rate limits and token lifetimes changed at run
// time, the state files, moves, refused options, and the temporary directory's end.

#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/codex.hpp>
#include <codex/testing/emulator.hpp>

#include <asio/experimental/awaitable_operators.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>

using codex::testing::credential_kind;
using namespace std::chrono_literals;

namespace {

codex::document_input titled(std::string title, bool is_public) {
  return {.title = std::move(title), .is_public = is_public};
}

}  // namespace

TEST_CASE("kit: an anonymous config sees public documents only", "[testing][integration]") {
  codex::testing::emulator server;
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client writer{executor, server.config()};
    (void)co_await writer.documents().create(titled("public", true));
    (void)co_await writer.documents().create(titled("private", false));
    codex::client anonymous{executor, server.config(credential_kind::anonymous)};
    codex::list_options options{};
    const codex::page<codex::document> listed = co_await anonymous.documents().list(std::move(options));
    REQUIRE(listed.data.size() == 1);
    CHECK(listed.data[0].title == "public");
  });
  CHECK(server.counters_of(credential_kind::anonymous).ok == 1);
  CHECK(server.totals().ok == 3);
}

TEST_CASE("kit: a rate limit set at run time is enforced, and counted", "[testing][integration]") {
  codex::testing::emulator server;
  server.set_rate_limit({.limit = 2, .window = 60s});
  codex::config cfg = server.config();
  CHECK(cfg.rate_limit.limit == 2);  // the ready config follows the emulator
  cfg.rate_limit = {.limit = 1000, .period = 1s, .burst = 10};  // a client that does not pace itself
  cfg.retry.max_attempts = 1;
  // Three calls at once: sent before any answer, so the client's pacing by the answers'
  // X-RateLimit-* headers cannot hold the third back.
  const int refused = codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<int> {
    using namespace asio::experimental::awaitable_operators;
    codex::client api{executor, cfg};
    const auto [a, b, c] = co_await (api.try_account() && api.try_account() && api.try_account());
    int n = 0;
    for (const auto* r : {&a, &b, &c}) {
      if (!*r) {
        CHECK(r->error().code == codex::errc::rate_limited);
        ++n;
      }
    }
    co_return n;
  });
  CHECK(refused == 1);
  CHECK(server.counters_of(credential_kind::api_key).rate_limited == 1);
}

TEST_CASE("kit: tokens live what set_token_ttl says", "[testing][integration]") {
  codex::testing::emulator server;
  server.set_token_ttl(1s);
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, server.config(credential_kind::client_credentials)};
    (void)co_await api.account();
    co_await codex::test::sleep_for(1200ms);  // past the token's end
    (void)co_await api.account();
  });
  CHECK(server.counters_of(credential_kind::client_credentials).tokens_issued == 2);
}

TEST_CASE("kit: the state files, and the credentials file as config::from_credentials_file reads it",
          "[testing][integration]") {
  codex::test::temp_dir dir{"codex-kit"};
  std::filesystem::path made;
  {
    codex::testing::emulator chosen{{.state_dir = dir.path / "state"}};
    CHECK(chosen.ca_file() == dir.path / "state" / "ca.pem");
    CHECK(std::filesystem::exists(chosen.credentials_file()));
    const codex::config cfg = codex::config::from_credentials_file(chosen.credentials_file().string()).value();
    const std::string project = codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<std::string> {
      codex::client api{executor, cfg};
      const codex::account me = co_await api.account();
      co_return me.project.id;
    });
    CHECK(project == chosen.credentials().project_id);

    codex::testing::emulator temporary;
    made = temporary.credentials_file().parent_path();
    CHECK(std::filesystem::exists(made / "ca.pem"));
  }
  CHECK(std::filesystem::exists(dir.path / "state" / "credentials.json"));  // a chosen directory stays
  CHECK_FALSE(std::filesystem::exists(made));                               // a temporary one goes
}

TEST_CASE("kit: a moved emulator keeps serving; refused options throw", "[testing][integration]") {
  codex::testing::emulator first;
  const std::string url = first.base_url();
  codex::testing::emulator second = std::move(first);
  CHECK(second.base_url() == url);
  codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
    codex::client api{executor, second.config()};
    (void)co_await api.account();
  });
  CHECK(second.counters_of(credential_kind::api_key).ok == 1);

  CHECK_THROWS_AS(codex::testing::emulator({.rate_limit = {.limit = 0}}), std::invalid_argument);
  CHECK_THROWS_AS(second.set_rate_limit({.limit = 5, .window = 0ms}), std::invalid_argument);
}
