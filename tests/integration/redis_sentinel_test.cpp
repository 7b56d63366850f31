// The Redis limiter behind Sentinel: one master and one replica (redis-server) and a
// redis-sentinel from Debian, all started here on ephemeral loopback ports with short
// Sentinel timeouts. Calls through the emulator go on while `SENTINEL failover` moves
// the master: no call past its deadline, no 429, and the checks reach the new master.
// (Without the +switch-master subscription the checks stay on the old master, which
// Sentinel demotes only seconds later; without the floor after a master change, the
// new master's schedule lacks the old one's last slots: 429s.) And 4 sharded `codex
// ingest` processes through the same deployment, the master moved mid-run: every
// document exactly once.

#include "limit/redis_client.hpp"
#include "limit/redis_limiter.hpp"

#include "child_process.hpp"
#include "emulator/emulator.hpp"
#include "emulator_documents.hpp"
#include "free_port.hpp"
#include "redis_server.hpp"
#include "redis_test_options.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

using namespace codex::limit;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using codex::test::redis_sentinel;
using codex::test::redis_server;
using codex::test::sleep_for;
namespace emu = codex::emulator;

namespace {

using codex::test::words;

redis_client_options direct(std::uint16_t port) {
  return codex::test::quick_client_options("redis://127.0.0.1:" + std::to_string(port), 500ms);
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

/// Once the replica follows the master: a Sentinel watching them, which knows the
/// replica (so that a failover can be asked for). Fails the test after 10 s each.
asio::awaitable<std::unique_ptr<redis_sentinel>> watched_pair(const redis_server& master, redis_client& to_replica) {
  {
    const auto linked = co_await until(to_replica, words("INFO", "replication"),
                                       [](const redis_reply& r) { return info_field(r, "master_link_status") == "up"; });
    REQUIRE(linked);
  }
  auto sentinel = std::make_unique<redis_sentinel>(master.port());
  auto to_sentinel = redis_client::start(co_await asio::this_coro::executor, direct(sentinel->port()));
  const auto knows_replica = co_await until(*to_sentinel, words("SENTINEL", "replicas", "mymaster"), [](const redis_reply& r) {
    return r.type == redis_reply::kind::array && r.elements.size() == 1;
  });
  to_sentinel->stop();
  REQUIRE(knows_replica);
  co_return sentinel;
}

/// `SENTINEL failover mymaster`, asked again (≤ 5 s) while Sentinel answers NOGOODSLAVE
/// (until it has fresh INFO from the replica). Whether it was accepted.
asio::awaitable<bool> force_failover(redis_client& to_sentinel) {
  for (int i = 0; i < 50; ++i) {
    auto asked = co_await to_sentinel.exec(words("SENTINEL", "failover", "mymaster"), clock_type::now() + 1s);
    if (asked && !asked->is_error()) co_return true;
    co_await sleep_for(100ms);
  }
  co_return false;
}

/// Whether the node behind `client` says it is a master (≤ 10 s).
asio::awaitable<bool> promoted(redis_client& client) {
  co_return co_await until(client, words("ROLE"), [](const redis_reply& r) {
    return r.type == redis_reply::kind::array && !r.elements.empty() && r.elements[0].text == "master";
  });
}

std::uint64_t rate_limited(emu::emulator& server) {
  std::uint64_t n = 0;
  for (const auto& [id, counters] : server.api().stats()) n += counters.rate_limited;
  return n;
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
    sentinel = co_await watched_pair(master, *to_replica);
    auto to_sentinel = redis_client::start(ex, direct(sentinel->port()));

    codex::config cfg;
    cfg.base_url = emulator.base_url();
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(emulator.credentials().api_key)};
    cfg.transport.tls.ca_file = emulator.ca_file().string();
    cfg.rate_limit = rate_limit{.limit = 1200, .period = 60s, .burst = 1};
    cfg.limiter = codex::test::quick(codex::limit::redis("redis+sentinel://127.0.0.1:" + std::to_string(dead) + ",127.0.0.1:" +
                                                         std::to_string(sentinel->port()) + "/mymaster"));
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
        failover_asked = co_await force_failover(*to_sentinel);
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
      const auto moved = co_await promoted(*to_replica);
      REQUIRE(moved);
    }
    auto stats = co_await to_replica->exec(words("INFO", "commandstats"), clock_type::now() + 1s);
    REQUIRE(stats);
    const bool checked_on_new_master = stats->text.find("cmdstat_evalsha:calls=") != std::string::npos;
    const std::uint64_t limited = rate_limited(emulator);
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

TEST_CASE("4 sharded ingest processes through Sentinel, the master moved mid-run: every document exactly once", "[redis]") {
  const char* codex_bin = std::getenv("CODEX_BIN");
  INFO("meson passes the codex binary's path in CODEX_BIN");
  REQUIRE(codex_bin != nullptr);
  redis_server master;
  redis_server replica(redis_server::options{.replica_of = master.port()});
  std::unique_ptr<redis_sentinel> sentinel;

  codex::test::temp_dir dir("codex-sentinel-shards");
  std::filesystem::create_directories(dir.path / "state");
  emu::emulator emulator(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 2,
      .service = emu::service_options{.rate_limit = {.limit = 1200, .window = 60s, .burst = 5}}});
  emulator.start();
  constexpr int lines = 400;  // 80 batches of 5 at 20 calls/s: 4 s
  const auto input = dir.path / "docs.jsonl";
  {
    std::ofstream out(input);
    for (int i = 1; i <= lines; ++i) out << "{\"title\":\"doc-" << i << "\",\"tags\":[\"sentinel-shards\"]}\n";
  }

  bool failover_asked = false, moved = false;
  std::size_t in_at_failover = 0;
  std::string checks_on_new_master;  // INFO commandstats' cmdstat_evalsha line of the promoted replica
  std::vector<std::string> reports(4);
  std::vector<int> exit_codes(4, -1);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto to_replica = redis_client::start(ex, direct(replica.port()));
    sentinel = co_await watched_pair(master, *to_replica);
    auto to_sentinel = redis_client::start(ex, direct(sentinel->port()));
    std::vector<std::string> env = {"CODEX_CREDENTIALS_FILE=" + emulator.credentials_file().string(),
                                    "CODEX_LIMITER_URL=redis+sentinel://127.0.0.1:" + std::to_string(sentinel->port()) + "/mymaster"};
    if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
    std::vector<std::unique_ptr<codex::test::child>> workers;
    for (int shard = 0; shard < 4; ++shard) {
      const std::vector<std::string> argv = {codex_bin, "ingest", input.string(), "--shard", std::to_string(shard) + "/4",
                                             "--batch", "5", "--in-flight", "4", "--rate-limit", "1200/60s"};
      const auto out = dir.path / ("shard-" + std::to_string(shard) + ".out");
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      REQUIRE(fd >= 0);
      workers.push_back(std::make_unique<codex::test::child>(argv, env, fd, fd));
      ::close(fd);
    }
    // The chaos: once a third of the documents are in, move the master.
    const auto give_up = clock_type::now() + 30s;
    while (emulator.api().document_count() < lines / 3) {
      REQUIRE(clock_type::now() < give_up);
      co_await sleep_for(20ms);
    }
    failover_asked = co_await force_failover(*to_sentinel);
    in_at_failover = emulator.api().document_count();
    for (int shard = 0; shard < 4; ++shard) {
      while (workers[shard]->running() && clock_type::now() < give_up + 30s) co_await sleep_for(20ms);
      const auto status = workers[shard]->wait_for(0ms);
      if (status && WIFEXITED(*status)) exit_codes[shard] = WEXITSTATUS(*status);
      std::ifstream in(dir.path / ("shard-" + std::to_string(shard) + ".out"));
      std::ostringstream text;
      text << in.rdbuf();
      reports[shard] = text.str();
    }
    moved = co_await promoted(*to_replica);
    auto stats = co_await to_replica->exec(words("INFO", "commandstats"), clock_type::now() + 1s);
    checks_on_new_master = stats ? info_field(*stats, "cmdstat_evalsha") : "";
    to_replica->stop();
    to_sentinel->stop();
  }, 120s);

  REQUIRE(failover_asked);
  CHECK(moved);
  INFO("the new master's EVALSHA: " << checks_on_new_master);
  CHECK(!checks_on_new_master.empty());  // the workers' checks went on there
  for (int shard = 0; shard < 4; ++shard) {
    INFO("shard " << shard << ": " << reports[shard]);
    CHECK(exit_codes[shard] == 0);
  }
  const auto documents = codex::test::list_every_document(emulator, 30s);
  std::multiset<std::string> titles;
  for (const auto& d : documents) titles.insert(d.title);
  const std::set<std::string> distinct(titles.begin(), titles.end());
  WARN("sharded ingest through a Sentinel failover (asked with " << in_at_failover << " documents in): " << documents.size()
       << " documents for " << lines << " lines, " << distinct.size() << " distinct, " << rate_limited(emulator)
       << " 429s; new master: " << checks_on_new_master);
  CHECK(documents.size() == lines);
  CHECK(distinct.size() == lines);
  for (int i = 1; i <= lines; ++i) CHECK(titles.count("doc-" + std::to_string(i)) == 1);
  // What the README names: the new master lacks the other processes' last slots, up to
  // one interval's worth per worker process (seen: 0 in most runs, 4 in one of seven;
  // the SDK's own retry took them, the ingest reports saw none).
  CHECK(rate_limited(emulator) <= 4);
  emulator.stop();
}
