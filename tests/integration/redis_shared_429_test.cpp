// A 429 seen by one worker slows the others: three codex::clients, each with its own
// Redis limiter (as separate processes would have: client.cpp makes one per client and
// only process-local limiters come from the registry), share one API key's schedule
// through a redis-server started here. The emulator grants one request per 2 s, and a
// client outside the fleet (its own process-local limiter) takes that one; the first
// worker's call then gets a 429 with Retry-After. The fleet itself never causes the
// 429: a 200's X-RateLimit-Remaining: 0 already holds its next request until the reset.
// The other workers start only once that call has returned, and the emulator's journal
// must show none of their requests arriving before the Retry-After has passed since
// the 429's arrival — what holds them is only the schedule the first worker pushed into
// Redis (without that push their first requests arrive a few ms after the 429).

#include "call_path_support.hpp"
#include "limit/redis_client.hpp"
#include "redis_server.hpp"
#include "run_coroutine.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using codex::test::journal_entry;
using codex::test::live_emulator;
using codex::test::redis_server;
using codex::limit::redis_client;

namespace {

/// How far ahead of now the schedule of the key(s) in Redis runs: the longest PTTL of
/// a codex:gcra: key, less the second the Lua step adds to every expiry.
asio::awaitable<std::chrono::milliseconds> schedule_ahead(redis_client& redis) {
  std::vector<std::string> command = {
      "EVAL",
      "local m = -1 for _, k in ipairs(redis.call('KEYS', 'codex:gcra:*')) do m = math.max(m, redis.call('PTTL', k)) end return m",
      "0"};
  auto reply = co_await redis.exec(std::move(command), std::chrono::steady_clock::now() + 2s);
  if (!reply || reply->type != codex::limit::redis_reply::kind::integer) co_return std::chrono::milliseconds::min();
  co_return std::chrono::milliseconds(reply->integer - 1000);
}

}  // namespace

TEST_CASE("a 429 seen by one worker holds every worker's next request until its Retry-After", "[redis]") {
  codex::emulator::service_options service;
  service.rate_limit = {.limit = 1, .window = 2s, .burst = 1};
  live_emulator emulator{service};
  redis_server redis;

  auto cfg = codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key), "100/1s");
  cfg.limiter = codex::limit::redis(redis.url());
  cfg.timeout = 10s;
  auto first = cfg;
  first.retry.max_attempts = 1;  // its 429 comes back to the test instead of being waited out
  auto outsider = codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key), "100/1s");

  std::vector<codex::test::call_outcome> others(2);
  codex::test::call_outcome taken, refused;
  std::chrono::milliseconds pushed_ahead{};
  codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<void> {
        auto stranger = std::make_unique<codex::client>(ex, outsider);
        auto a = std::make_unique<codex::client>(ex, first);
        auto b = std::make_unique<codex::client>(ex, cfg);
        auto c = std::make_unique<codex::client>(ex, cfg);
        taken = co_await codex::test::call(*stranger, codex::test::get("/account"));
        refused = co_await codex::test::call(*a, codex::test::get("/account"));
        // The push is one Redis round trip that the call does not wait for (a worker
        // elsewhere that checks within it cannot be held anyway): b and c begin once it
        // has landed, i.e. once the key's schedule runs a second or more ahead.
        auto watcher = redis_client::start(ex, {.endpoint = codex::limit::parse_redis_endpoint(redis.url()).value()});
        for (int i = 0; i < 200; ++i) {
          pushed_ahead = co_await schedule_ahead(*watcher);
          if (pushed_ahead >= 1s) break;
          co_await codex::test::sleep_for(5ms);
        }
        watcher->stop();
        // Only Redis links a to b and c: their limiters start from what it holds.
        co_await codex::test::run_all(2, [&](std::size_t i) -> asio::awaitable<void> {
          others[i] = co_await codex::test::call(i == 0 ? *b : *c, codex::test::get("/documents"));
        });
        // The last responses said Remaining: 0, which their limiters are still pushing to
        // Redis: the clients go (stopping their connections), and those coroutines get a
        // moment to end — one left suspended when the io_context is destroyed leaks.
        stranger.reset();
        a.reset();
        b.reset();
        c.reset();
        co_await codex::test::sleep_for(100ms);
      },
      30s);

  REQUIRE(taken.ok);
  REQUIRE(refused.status == 429);
  REQUIRE(pushed_ahead >= 1s);
  const auto account = emulator.journal_of("/v1/account");
  const auto limited = std::find_if(account.begin(), account.end(), [](const journal_entry& e) { return e.status == 429; });
  REQUIRE(limited != account.end());
  const auto retry_after = std::chrono::seconds(std::stoi(limited->retry_after));
  REQUIRE(retry_after >= 1s);

  const auto documents = emulator.journal_of("/v1/documents");
  REQUIRE(!documents.empty());
  const auto earliest = std::min_element(documents.begin(), documents.end(), [](const auto& x, const auto& y) {
                          return x.arrived < y.arrived;
                        })->arrived;
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - limited->arrived);
  WARN("429 with Retry-After " << retry_after.count() << " s; the other workers' first request arrived " << after.count()
       << " ms after it; " << documents.size() << " requests of theirs in all");
  CHECK(after >= retry_after);
  CHECK(others[0].ok);
  CHECK(others[1].ok);
}
