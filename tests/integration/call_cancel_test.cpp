// One cancellation (the caller's Asio cancellation slot) ends a call wherever it waits:
// in the limiter, for a token, or in the backoff before a retry — promptly, with
// errc::cancelled, instead of sleeping out the wait.
#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using codex::errc;
using codex::emulator::response_plan;

namespace {

struct cancelled_call {
  codex::result<codex::net::http_response> outcome = codex::errc::io_error;
  clock_type::duration waited{};
};

codex::config config_for(const codex::test::test_server& server, codex::credentials creds) {
  codex::config cfg;
  cfg.base_url = server.base_url() + "/v1";
  cfg.transport.tls.ca_file = server.ca_file();
  cfg.credentials = std::move(creds);
  cfg.retry_budget.max_tokens = 1000;
  return cfg;
}

/// Starts `request` on `api`, cancels it (terminal) after `after`, and reports how it ended.
asio::awaitable<cancelled_call> cancel_after(codex::client& api, codex::api_request request,
                                             clock_type::duration after) {
  auto executor = co_await asio::this_coro::executor;
  asio::cancellation_signal signal;
  cancelled_call result;
  bool done = false;
  asio::steady_timer finished(executor, clock_type::time_point::max());
  const auto start = clock_type::now();
  asio::co_spawn(executor, api.execute(std::move(request)),
                 asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr, codex::result<codex::net::http_response> r) {
                   result.outcome = std::move(r);
                   result.waited = clock_type::now() - start;
                   done = true;
                   finished.cancel();
                 }));
  asio::steady_timer delay(executor, after);
  co_await delay.async_wait(asio::use_awaitable);
  signal.emit(asio::cancellation_type::terminal);
  while (!done) {
    finished.expires_after(10s);
    auto [ec] = co_await finished.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  co_return result;
}

codex::api_request get_account() {
  codex::api_request request;
  request.path = "/account";
  return request;
}

}  // namespace

TEST_CASE("cancelling a call that waits in the limiter ends it at once", "[cancel]") {
  codex::test::test_server server;
  // One request per 10 s for this key: the second call must wait ~10 s for its slot.
  auto cfg = config_for(server, codex::api_key_credentials{.key = codex::secret("cdx_cancel_limiter_key_0000000000000000000000")});
  cfg.rate_limit = codex::limit::parse_rate_limit("1/10s").value();
  auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<cancelled_call> {
    codex::client api{executor, cfg};
    auto first = co_await api.execute(get_account());
    REQUIRE(first.has_value());
    co_return co_await cancel_after(api, get_account(), 200ms);
  });
  CHECK(outcome.outcome.code() == errc::cancelled);
  CHECK(outcome.waited < 2s);
  CHECK(server.stats().requests == 1);  // the cancelled call never reached the server
}

TEST_CASE("cancelling a call that waits in the backoff before a retry ends it at once", "[cancel]") {
  std::atomic<int> calls{0};
  codex::test::test_server server{[&](codex::net::codec::server_request&, const codex::emulator::request_context&) {
    calls.fetch_add(1);
    response_plan plan;
    plan.status = 503;
    plan.headers.add("Retry-After", "8");  // the retry would come 8 s later
    plan.headers.add("Content-Type", "application/json");
    plan.body = R"({"status":503,"error":"unavailable","message":"try later"})";
    return plan;
  }};
  auto cfg = config_for(server, codex::api_key_credentials{.key = codex::secret("cdx_cancel_backoff_key_00000000000000000000000")});
  auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<cancelled_call> {
    codex::client api{executor, cfg};
    co_return co_await cancel_after(api, get_account(), 300ms);
  });
  CHECK(outcome.outcome.code() == errc::cancelled);
  CHECK(outcome.waited < 2s);
  CHECK(calls.load() == 1);
}

TEST_CASE("cancelling a call that waits for an access token ends it at once", "[cancel]") {
  codex::test::test_server server{[](codex::net::codec::server_request& request, const codex::emulator::request_context&) {
    response_plan plan;
    plan.headers.add("Content-Type", "application/json");
    if (request.target == "/v1/auth/token") {
      plan.delay = 5s;  // a token endpoint that takes its time
      plan.body = R"({"access_token":"tok_slow","token_type":"Bearer","expires_in":3600,"scope":"read"})";
    } else {
      plan.body = R"({"ok":true})";
    }
    return plan;
  }};
  auto cfg = config_for(server, codex::client_credentials{.client_id = "cid_cancel_token",
                                                         .client_secret = codex::secret("cs_cancel_token_secret_000000")});
  auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<cancelled_call> {
    codex::client api{executor, cfg};
    co_return co_await cancel_after(api, get_account(), 300ms);
  }, 20s);
  CHECK(outcome.outcome.code() == errc::cancelled);
  CHECK(outcome.waited < 2s);
}
