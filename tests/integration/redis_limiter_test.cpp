// The Redis limiter against a real redis-server (started by each test on an ephemeral
// port or a unix socket, stopped at the end): the wire client (pipelining, SELECT,
// deadlines, reconnect), the Lua step compared with its C++ reference, NOSCRIPT, two
// keys, Redis killed / paused / gone with each policy, and — with the emulator — Redis
// killed in the middle of a run of calls.

#include "limit/redis_client.hpp"
#include "limit/redis_gcra.hpp"
#include "limit/redis_limiter.hpp"

#include "emulator/emulator.hpp"
#include "redis_server.hpp"
#include "redis_test_options.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <random>

using namespace codex::limit;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using codex::test::redis_server;
using codex::test::sleep_for;
namespace emu = codex::emulator;

namespace {

using codex::test::words;

redis_client_options client_options(const std::string& url) { return codex::test::quick_client_options(url); }

redis_limiter_options limiter_options(const std::string& url) { return codex::test::quick(codex::limit::redis(url)); }

/// Waits (≤ 5 s) until the client is connected.
asio::awaitable<bool> until_connected(const redis_client& client) {
  for (int i = 0; i < 500 && !client.connected(); ++i) co_await sleep_for(10ms);
  co_return client.connected();
}

}  // namespace

TEST_CASE("redis client: commands, pipelining, SELECT and reconnect after a restart", "[redis]") {
  redis_server server(redis_server::transport::tcp);
  auto url = server.url();
  url.back() = '3';  // database 3
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto client = redis_client::start(ex, client_options(url));
    const auto deadline = [] { return clock_type::now() + 2s; };
    auto pong = co_await client->exec(words("PING"), deadline());
    REQUIRE(pong);
    CHECK(pong->type == redis_reply::kind::status);
    CHECK(pong->text == "PONG");
    {
      const auto done = co_await client->exec(words("SET", "k", "v 1"), deadline());
      REQUIRE(done);
    }
    auto db = co_await client->exec(words("CLIENT", "INFO"), deadline());
    REQUIRE(db);
    CHECK(db->text.find(" db=3 ") != std::string::npos);
    auto error = co_await client->exec(words("NO-SUCH-COMMAND"), deadline());
    REQUIRE(error);
    CHECK(error->is_error());

    // 300 commands at once: replies in order, far fewer writes than commands.
    const auto before = client->stats();
    int done = 0, right = 0;
    co_await codex::test::run_all(300, [&](std::size_t n) -> asio::awaitable<void> {
      const std::string i = std::to_string(n);
      auto reply = co_await client->exec(words("INCRBY", "n", i), clock_type::now() + 5s);
      auto echo = co_await client->exec(words("ECHO", i), clock_type::now() + 5s);
      if (reply && echo && echo->text == i) ++right;
      ++done;
    });
    CHECK(done == 300);
    CHECK(right == 300);
    const auto after = client->stats();
    CHECK(after.commands - before.commands == 600);
    CHECK(after.round_trips - before.round_trips < 100);
    auto sum = co_await client->exec(words("GET", "n"), deadline());
    REQUIRE(sum);
    CHECK(sum->text == std::to_string(299 * 300 / 2));

    // Killed: a command fails within its deadline; restarted: the client reconnects by itself.
    server.kill();
    const auto asked = clock_type::now();
    auto lost = co_await client->exec(words("PING"), clock_type::now() + 300ms);
    CHECK(!lost);
    CHECK(clock_type::now() - asked < 600ms);
    server.start();
    {
      const auto done = co_await until_connected(*client);
      REQUIRE(done);
    }
    auto again = co_await client->exec(words("PING"), deadline());
    REQUIRE(again);
    CHECK(again->text == "PONG");
    CHECK(client->stats().connects >= 2);
    client->stop();
  });
}

TEST_CASE("the Lua step gives exactly what its C++ reference gives, on a real Redis", "[redis]") {
  redis_server server(redis_server::transport::unix_socket);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto client = redis_client::start(ex, client_options(server.url()));
    std::mt19937_64 random(7);
    const redis_gcra::params p{.interval_us = 50'000, .tolerance_us = 100'000};  // 20/s, burst 3
    std::int64_t now = 1'800'000'000'000'000;
    std::int64_t tat = 0;
    std::int64_t last_grant = 0;  // the TAT the last acquire stored: what a release names
    for (int i = 0; i < 400; ++i) {
      now += static_cast<std::int64_t>(random() % 120'000);
      const auto roll = random() % 20;
      const char* mode = roll < 2 ? "P" : roll < 5 ? "R" : "A";
      const std::int64_t count = 1 + static_cast<std::int64_t>(random() % 4);
      const std::int64_t max_wait = static_cast<std::int64_t>(random() % 400'000);
      const std::int64_t floor = random() % 8 == 0 ? static_cast<std::int64_t>(random() % 200'000) : 0;
      const std::int64_t wait = static_cast<std::int64_t>(random() % 1'000'000);
      std::vector<std::string> args = {"EVAL", std::string(redis_gcra::script()), "1", "ref", mode,
                                       std::to_string(p.interval_us), std::to_string(p.tolerance_us)};
      if (*mode == 'P') {
        args.insert(args.end(), {std::to_string(wait), "0", "0"});
      } else if (*mode == 'R') {
        args.insert(args.end(), {std::to_string(last_grant), "0", "0"});
      } else {
        args.insert(args.end(), {std::to_string(count), std::to_string(max_wait), std::to_string(floor)});
      }
      args.push_back(std::to_string(now));
      auto reply = co_await client->exec(args, clock_type::now() + 2s);
      REQUIRE(reply);
      INFO("step " << i << " (" << mode << "): " << reply->text);
      REQUIRE(reply->type == redis_reply::kind::array);
      REQUIRE(reply->elements.size() == 4);
      if (*mode == 'P') {
        tat = redis_gcra::push(tat, now, p, wait);
      } else if (*mode == 'R') {
        const auto released = redis_gcra::release(tat, now, p, last_grant);
        CHECK(reply->elements[0].integer == (released != tat ? 1 : 0));
        tat = released;
      } else {
        const auto expected = redis_gcra::acquire(tat, now, p, count, max_wait, floor);
        CHECK(reply->elements[0].integer == expected.granted);
        CHECK(reply->elements[1].integer == expected.base_offset);
        tat = expected.tat;
        if (expected.granted > 0) last_grant = tat;
      }
      CHECK(reply->elements[3].text == std::to_string(tat));
      auto stored = co_await client->exec(words("GET", "ref"), clock_type::now() + 2s);
      REQUIRE(stored);
      if (tat != 0) CHECK(stored->text == std::to_string(tat));
    }
    client->stop();
  });
}

TEST_CASE("redis limiter: SCRIPT LOAD on NOSCRIPT, one round trip per admitted request, two keys apart", "[redis]") {
  redis_server server(redis_server::transport::tcp);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const rate_limit rate{.limit = 10, .period = 1s, .burst = 1};
    auto a = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:key-a");
    auto b = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:key-b");
    CHECK(a->key() == "codex:gcra:sha256:key-a");
    std::vector<clock_type::time_point> ready;
    for (int i = 0; i < 5; ++i) {
      auto s = co_await a->acquire(clock_type::now() + 5s);
      REQUIRE(s);
      ready.push_back(s->ready_at);
    }
    CHECK(a->stats().script_loads == 1);   // the first EVALSHA met NOSCRIPT
    CHECK(a->stats().evals == 5);
    CHECK(a->connection().stats().commands == 7);  // 5 EVALSHA + one NOSCRIPT'd EVALSHA + SCRIPT LOAD
    CHECK(ready.back() - ready.front() >= 390ms);  // key A: spaced by 100 ms
    // Key B has its own budget: its first slot is free at once.
    const auto asked = clock_type::now();
    auto first_b = co_await b->acquire(clock_type::now() + 5s);
    REQUIRE(first_b);
    CHECK(first_b->ready_at - asked < 50ms);
    // A slot that would come after the deadline is refused at once, and nothing is spent.
    auto too_late = co_await a->acquire(clock_type::now() + 10ms);
    CHECK(too_late.code() == codex::errc::deadline_too_short);

    // A 429 seen by one process (here: limiter object) pushes the schedule for all.
    auto other = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:key-b");
    b->push_back_until(clock_type::now() + 1s);
    co_await sleep_for(50ms);
    auto pushed = co_await other->acquire(clock_type::now() + 5s);
    REQUIRE(pushed);
    CHECK(pushed->ready_at - clock_type::now() > 800ms);

    // SCRIPT FLUSH (as after a restart): loaded again, once.
    auto admin = redis_client::start(ex, client_options(server.url()));
    {
      const auto done = co_await admin->exec(words("SCRIPT", "FLUSH"), clock_type::now() + 2s);
      REQUIRE(done);
    }
    {
      const auto done = co_await a->acquire(clock_type::now() + 5s);
      REQUIRE(done);
    }
    CHECK(a->stats().script_loads == 2);
    admin->stop();
    a.reset();
    b.reset();
    other.reset();
  });
}

TEST_CASE("redis limiter: a cancelled slot is given back while the schedule has not moved; X-RateLimit-* slows every process", "[redis]") {
  redis_server server(redis_server::transport::unix_socket);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const rate_limit rate{.limit = 10, .period = 1s, .burst = 1};  // 100 ms apart
    auto a = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:give-back");
    auto b = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:give-back");
    auto first = co_await a->acquire(clock_type::now() + 5s);
    auto second = co_await a->acquire(clock_type::now() + 5s);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(second->shared_tat != 0);
    a->release(*second);  // cancelled before it was sent: nobody has checked since
    co_await sleep_for(30ms);
    auto taken_over = co_await b->acquire(clock_type::now() + 5s);
    REQUIRE(taken_over);
    CHECK(taken_over->ready_at < second->ready_at + 50ms);  // its slot, not the one after

    // Not safe any more once another check has passed it: nothing is given back.
    auto third = co_await a->acquire(clock_type::now() + 5s);
    auto fourth = co_await b->acquire(clock_type::now() + 5s);
    REQUIRE(third);
    REQUIRE(fourth);
    a->release(*third);
    co_await sleep_for(30ms);
    auto after = co_await b->acquire(clock_type::now() + 5s);
    REQUIRE(after);
    CHECK(after->ready_at >= fourth->ready_at + 90ms);
    CHECK(a->stats().releases == 2);

    // Pacing: a response saying 0 remaining and a reset in 3 s for a limit of 10 (one
    // per 300 ms) seen by A pushes B's next slot; remaining >= burst does nothing.
    co_await sleep_for(after->ready_at - clock_type::now() + 150ms);  // the schedule is idle again
    a->pace_from_headers(3, std::chrono::seconds(3), 10);
    CHECK(a->stats().paces == 0);
    const auto paced_at = clock_type::now();
    a->pace_from_headers(0, std::chrono::seconds(3), 10);
    a->pace_from_headers(0, std::chrono::seconds(3), 10);  // the same target again: not sent twice
    CHECK(a->stats().paces == 1);
    co_await sleep_for(30ms);
    auto paced = co_await b->acquire(clock_type::now() + 5s);
    REQUIRE(paced);
    CHECK(paced->ready_at - paced_at >= 280ms);
    a.reset();
    b.reset();
  });
}

TEST_CASE("redis limiter: Redis paused or gone — bounded waits, fallback at its share, no burst on recovery", "[redis]") {
  redis_server server(redis_server::transport::unix_socket);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const rate_limit rate{.limit = 100, .period = 1s, .burst = 1};
    auto waiting = std::make_unique<redis_limiter>(ex, limiter_options(server.url()), rate, "sha256:k");
    auto fallback_options = limiter_options(server.url());
    fallback_options.when_unavailable = when_redis_unavailable::local_fallback;
    fallback_options.fallback_share = 0.5;
    auto falling = std::make_unique<redis_limiter>(ex, fallback_options, rate, "sha256:k");
    {
      const auto done = co_await waiting->acquire(clock_type::now() + 2s);
      REQUIRE(done);
    }
    {
      const auto done = co_await falling->acquire(clock_type::now() + 2s);
      REQUIRE(done);
    }
    // Still connecting is not unreachable: a new limiter's first check goes to Redis.
    CHECK(falling->stats().evals == 1);
    CHECK(falling->stats().fallback_slots == 0);

    // Paused (slow): the wait policy gives up at the call's deadline, not later.
    server.pause();
    auto asked = clock_type::now();
    auto slow = co_await waiting->acquire(clock_type::now() + 400ms);
    CHECK(slow.code() == codex::errc::timeout);
    CHECK(clock_type::now() - asked < 550ms);
    server.resume();
    {
      const auto done = co_await waiting->acquire(clock_type::now() + 2s);
      REQUIRE(done);
    }

    // Gone: the fallback policy goes on at half the rate (50/s: 20 ms apart).
    server.kill();
    co_await sleep_for(50ms);
    asked = clock_type::now();
    clock_type::time_point last;
    for (int i = 0; i < 20; ++i) {
      auto s = co_await falling->acquire(clock_type::now() + 2s);
      REQUIRE(s);
      last = s->ready_at;
    }
    CHECK(falling->stats().fallback_slots >= 20);
    CHECK(last - asked >= 360ms);
    CHECK(last - asked < 1s);
    // ...and the wait policy fails at its deadline.
    asked = clock_type::now();
    auto down = co_await waiting->acquire(clock_type::now() + 300ms);
    CHECK(down.code() == codex::errc::timeout);
    CHECK(clock_type::now() - asked < 450ms);

    // Back: the shared schedule resumes, after the last fallback slot — no burst.
    server.start();
    {
      const auto done = co_await until_connected(falling->connection());
      REQUIRE(done);
    }
    const auto evals = falling->stats().evals;
    auto resumed = co_await falling->acquire(clock_type::now() + 2s);
    REQUIRE(resumed);
    CHECK(falling->stats().evals == evals + 1);
    CHECK(resumed->ready_at >= last + 19ms);
    {
      const auto done = co_await until_connected(waiting->connection());
      REQUIRE(done);
    }
    auto next = co_await waiting->acquire(clock_type::now() + 2s);
    REQUIRE(next);
    CHECK(next->ready_at >= resumed->ready_at + 9ms);  // the same schedule, 10 ms apart
    waiting.reset();
    falling.reset();
  }, 60s);
}

TEST_CASE("Redis killed in the middle of a run and restarted: no call past its deadline, no 429, the run completes", "[redis][mt]") {
  redis_server server(redis_server::transport::unix_socket);
  codex::test::temp_dir dir("codex-redis-run");
  std::filesystem::create_directories(dir.path / "state");
  emu::emulator emulator(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 1,
      .service = emu::service_options{.rate_limit = {.limit = 1200, .window = 60s, .burst = 5}}});
  emulator.start();

  codex::config cfg;
  cfg.base_url = emulator.base_url();
  cfg.credentials = codex::api_key_credentials{.key = codex::secret(emulator.credentials().api_key)};
  cfg.transport.tls.ca_file = emulator.ca_file().string();
  cfg.rate_limit = rate_limit{.limit = 1200, .period = 60s, .burst = 1};
  cfg.limiter = limiter_options(server.url());
  cfg.timeout = 1500ms;

  constexpr int wanted = 160;  // ~8 s at 20/s, plus the outage
  std::mutex mutex;
  std::vector<clock_type::time_point> done_at;
  std::vector<std::chrono::milliseconds> failed_after;
  clock_type::duration longest{};
  int ok = 0;
  const auto started = clock_type::now();
  std::thread chaos([&] {
    std::this_thread::sleep_for(2500ms);
    server.kill();
    std::this_thread::sleep_for(2000ms);
    server.start();
  });
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    // Two clients (two connections to Redis), 8 coroutines each, on two threads.
    codex::client first(ex, cfg), second(ex, cfg);
    co_await codex::test::run_all(16, [&](std::size_t w) -> asio::awaitable<void> {
      codex::client& api = w % 2 == 0 ? first : second;
      for (;;) {
        {
          std::lock_guard lock(mutex);
          if (ok >= wanted) break;
        }
        const auto asked = clock_type::now();
        auto account = co_await api.try_account();
        const auto took = clock_type::now() - asked;
        std::lock_guard lock(mutex);
        longest = std::max(longest, took);
        if (account) {
          ++ok;
          done_at.push_back(clock_type::now());
        } else {
          failed_after.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(took));
        }
      }
    });
  }, 60s, 2);
  chaos.join();

  std::uint64_t limited = 0;
  for (const auto& [id, counters] : emulator.api().stats()) limited += counters.rate_limited;
  const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  // The most calls that completed within any 1 s: the limit is 20/s (+ the emulator's 5 of burst).
  std::sort(done_at.begin(), done_at.end());
  std::size_t densest = 0;
  for (std::size_t i = 0, j = 0; i < done_at.size(); ++i) {
    while (done_at[i] - done_at[j] >= 1s) ++j;
    densest = std::max(densest, i - j + 1);
  }
  WARN("redis killed mid-run: " << ok << " calls ok, " << failed_after.size() << " failed (limiter timeouts), "
       << limited << " 429s, longest call " << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()
       << " ms (deadline 1500 ms), densest second " << densest << " calls, " << seconds << " s");
  CHECK(ok >= wanted);
  CHECK(limited == 0);
  CHECK(longest < 1500ms + 300ms);
  CHECK(densest <= 20 + 5);
  CHECK(!failed_after.empty());  // the outage was seen: calls failed at their deadline instead of hanging
  emulator.stop();
}
