// The Redis limiter behind Sentinel: one master and one replica (redis-server) and a
// redis-sentinel from Debian, all started here on ephemeral loopback ports with short
// Sentinel timeouts. Calls through the emulator go on while `SENTINEL failover` moves
// the master: no call past its deadline, no 429, and the checks reach the new master.
// (Without the +switch-master subscription the checks stay on the old master, which
// Sentinel demotes only seconds later; without the floor after a master change, the
// new master's schedule lacks the old one's last slots: 429s.)

#include "limit/redis_client.hpp"
#include "limit/redis_limiter.hpp"

#include "emulator/emulator.hpp"
#include "free_port.hpp"
#include "redis_server.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <mutex>

using namespace codex::limit;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using codex::test::redis_sentinel;
using codex::test::redis_server;
using codex::test::sleep_for;
namespace emu = codex::emulator;

namespace {

template <class... Words>
std::vector<std::string> words(Words&&... w) {
  return {std::string(std::forward<Words>(w))...};
}

redis_client_options direct(std::uint16_t port) {
  return {.endpoint = parse_redis_endpoint("redis://127.0.0.1:" + std::to_string(port)).value(),
          .connect_timeout = 500ms, .reply_timeout = 500ms, .reconnect_min = 10ms, .reconnect_max = 200ms};
}

/// Polls `command` on `client` (≤ 10 s) until `done` says its reply is the one wanted.
template <class Done>
asio::awaitable<bool> until(redis_client& client, std::vector<std::string> command, Done done) {
  for (int i = 0; i < 200; ++i) {
    auto reply = co_await client.exec(command, clock_type::now() + 1s);
    if (reply && done(*reply)) co_return true;
    co_await sleep_for(50ms);
  }
  co_return false;
}

/// The value of `field` in an INFO reply ("field:value\r\n").
std::string info_field(const redis_reply& reply, const std::string& field) {
  const auto at = reply.text.find(field + ":");
  if (at == std::string::npos) return {};
  const auto start = at + field.size() + 1;
  return reply.text.substr(start, reply.text.find('\r', start) - start);
}

}  // namespace

TEST_CASE("redis+sentinel://: the master from Sentinel, a forced failover mid-run — no call past its deadline, no 429", "[redis]") {
  redis_server master;
  redis_server replica(redis_server::options{.replica_of = master.port()});
  const std::uint16_t dead = codex::test::free_port();  // a Sentinel that is down: asked first, skipped
  std::unique_ptr<redis_sentinel> sentinel;

  codex::test::temp_dir dir("codex-sentinel-run");
  std::filesystem::create_directories(dir.path / "state");
  emu::emulator emulator(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 1,
      .service = emu::service_options{.rate_limit = {.limit = 1200, .window = 60s, .burst = 5}}});
  emulator.start();

  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto to_replica = redis_client::start(ex, direct(replica.port()));
    {
      const auto done = co_await until(*to_replica, words("INFO", "replication"),
                             [](const redis_reply& r) { return info_field(r, "master_link_status") == "up"; });
      REQUIRE(done);
    }
    sentinel = std::make_unique<redis_sentinel>(master.port());
    auto to_sentinel = redis_client::start(ex, direct(sentinel->port()));
    {
      const auto done = co_await until(*to_sentinel, words("SENTINEL", "replicas", "mymaster"),
                             [](const redis_reply& r) { return r.type == redis_reply::kind::array && r.elements.size() == 1; });
      REQUIRE(done);
    }

    codex::config cfg;
    cfg.base_url = emulator.base_url();
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(emulator.credentials().api_key)};
    cfg.transport.tls.ca_file = emulator.ca_file().string();
    cfg.rate_limit = rate_limit{.limit = 1200, .period = 60s, .burst = 1};
    auto limiter = codex::limit::redis("redis+sentinel://127.0.0.1:" + std::to_string(dead) + ",127.0.0.1:" +
                                       std::to_string(sentinel->port()) + "/mymaster");
    limiter.connect_timeout = 500ms;
    limiter.reply_timeout = 300ms;
    limiter.reconnect_min = 10ms;
    limiter.reconnect_max = 200ms;
    cfg.limiter = limiter;
    cfg.timeout = 3s;

    constexpr int wanted = 120;  // 6 s at 20/s
    std::mutex mutex;
    int ok = 0, failed = 0;
    clock_type::duration longest{};
    bool failover_asked = false;
    codex::client api(ex, cfg);
    co_await codex::test::run_all(17, [&](std::size_t w) -> asio::awaitable<void> {
      if (w == 16) {  // the chaos: once a third of the run is done, move the master
        while (true) {
          {
            std::lock_guard lock(mutex);
            if (ok >= wanted / 3) break;
          }
          co_await sleep_for(20ms);
        }
        for (int i = 0; i < 50 && !failover_asked; ++i) {  // NOGOODSLAVE until Sentinel has fresh INFO
          auto asked = co_await to_sentinel->exec(words("SENTINEL", "failover", "mymaster"), clock_type::now() + 1s);
          failover_asked = asked && !asked->is_error();
          if (!failover_asked) co_await sleep_for(100ms);
        }
        co_return;
      }
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
        if (account) ++ok; else ++failed;
      }
    });
    REQUIRE(failover_asked);
    // The replica is the master now, and the limiter's checks went there.
    {
      const auto done = co_await until(*to_replica, words("ROLE"), [](const redis_reply& r) {
        return r.type == redis_reply::kind::array && !r.elements.empty() && r.elements[0].text == "master";
      });
      REQUIRE(done);
    }
    auto stats = co_await to_replica->exec(words("INFO", "commandstats"), clock_type::now() + 1s);
    REQUIRE(stats);
    const bool checked_on_new_master = stats->text.find("cmdstat_evalsha:calls=") != std::string::npos;
    std::uint64_t limited = 0;
    for (const auto& [id, counters] : emulator.api().stats()) limited += counters.rate_limited;
    WARN("Sentinel failover mid-run: " << ok << " calls ok, " << failed << " failed, " << limited << " 429s, longest call "
         << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms (deadline 3000 ms)");
    CHECK(ok >= wanted);
    CHECK(checked_on_new_master);
    CHECK(limited == 0);
    CHECK(longest < 3s + 300ms);
    to_replica->stop();
    to_sentinel->stop();
  }, 60s);
  emulator.stop();
}
