// One key's limit held by several PROCESSES through Redis (a real redis-server, started
// here): 4 worker processes × 16 coroutines against the emulator whose limit equals the
// client limit → zero 429s and ≥ 95 % of the limit; the same 4 workers with the local
// limiter only → 429s (so the shared limiter is what prevents them); and 4 sharded
// `codex ingest` workers, one killed with SIGKILL and resumed → every document exactly once.

#include "child_process.hpp"
#include "emulator/emulator.hpp"
#include "emulator_documents.hpp"
#include "redis_server.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace emu = codex::emulator;
using namespace std::chrono_literals;
using codex::test::child;
using codex::test::redis_server;

namespace {

std::string binary(const char* variable) {
  const char* path = std::getenv(variable);
  INFO("meson passes the binary's path in " << variable);
  REQUIRE(path != nullptr);
  return path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> base_environment(std::vector<std::string> extra) {
  if (const char* path = std::getenv("PATH")) extra.push_back(std::string("PATH=") + path);
  return extra;
}

std::uint64_t rate_limited(emu::emulator& server) {
  std::uint64_t n = 0;
  for (const auto& [id, counters] : server.api().stats()) n += counters.rate_limited;
  return n;
}

struct fleet_outcome {
  long ok = 0;
  long failed = 0;
  std::uint64_t limited = 0;
};

/// 4 worker processes × 16 coroutines with `limiter`, for `duration` from a common start.
fleet_outcome run_fleet(emu::emulator& server, const fs::path& dir, const std::string& limiter, const std::string& rate,
                        std::chrono::milliseconds duration, std::vector<std::string> extra_env = {},
                        std::string* all_output = nullptr) {
  const std::uint64_t limited_before = rate_limited(server);
  const auto start = std::chrono::duration_cast<std::chrono::milliseconds>(
      (std::chrono::system_clock::now() + 1500ms).time_since_epoch());
  std::vector<std::unique_ptr<child>> workers;
  for (int i = 0; i < 4; ++i) {
    const fs::path out = dir / ("worker-" + std::to_string(i) + ".out");
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::vector<std::string> argv = {binary("REDIS_WORKER_BIN"), server.base_url(), server.ca_file().string(), limiter,
                                     rate, std::to_string(start.count()), std::to_string(duration.count()), "16"};
    auto env = extra_env;
    env.push_back("WORKER_API_KEY=" + server.credentials().api_key);
    workers.push_back(std::make_unique<child>(argv, base_environment(std::move(env)), fd, fd));
    ::close(fd);
  }
  fleet_outcome outcome;
  for (int i = 0; i < 4; ++i) {
    const auto status = workers[i]->wait_for(duration + 20s);
    const std::string text = read_file(dir / ("worker-" + std::to_string(i) + ".out"));
    if (all_output != nullptr) *all_output += text;
    INFO("worker " << i << ": " << text);
    REQUIRE(status);
    REQUIRE(*status == 0);
    long ok = 0, failed = 0;
    REQUIRE(std::sscanf(text.c_str() + text.rfind("ok="), "ok=%ld failed=%ld", &ok, &failed) == 2);
    outcome.ok += ok;
    outcome.failed += failed;
  }
  outcome.limited = rate_limited(server) - limited_before;
  return outcome;
}

}  // namespace

TEST_CASE("4 processes x 16 coroutines, one key: Redis holds the limit together; local limiters alone do not", "[redis]") {
  redis_server redis(redis_server::transport::tcp);
  codex::test::temp_dir dir("codex-fleet");
  fs::create_directories(dir.path / "state");
  // The emulator's limit equals the client's: 1,200/min (20/s). Its bucket holds 5, so
  // that the few ms of jitter between processes pass, but not a second client's worth.
  emu::emulator server(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 2,
      .service = emu::service_options{.rate_limit = {.limit = 1200, .window = 60s, .burst = 5}}});
  server.start();
  constexpr auto duration = 8000ms;
  const double bound = 20.0 * 8;  // requests the limit allows in the window

  const auto shared = run_fleet(server, dir.path, redis.url(), "1200/60s", duration);
  WARN("Redis limiter, 4 processes x 16 coroutines, 1200/min for 8 s: " << shared.ok << " ok (" << 100.0 * shared.ok / bound
       << " % of the limit), " << shared.failed << " failed, " << shared.limited << " 429s at the emulator");
  CHECK(shared.limited == 0);
  CHECK(shared.failed == 0);
  CHECK(shared.ok >= static_cast<long>(0.95 * bound));
  CHECK(shared.ok <= static_cast<long>(bound) + 5);

  const auto local = run_fleet(server, dir.path, "local", "1200/60s", duration);
  WARN("local limiters only, same fleet: " << local.ok << " ok, " << local.limited << " 429s at the emulator");
  CHECK(local.limited > 0);
  server.stop();
}

TEST_CASE("4 processes x 16 coroutines through a password-protected TLS Redis: the limit held, the password in no output", "[redis]") {
  const std::string password = "fleet-Pa55-" + std::to_string(::getpid()) + "-c0ffee";
  redis_server redis(redis_server::options{.acl_users = {"codex on >" + password + " ~codex:* +@all"}, .tls = true});
  codex::test::temp_dir dir("codex-fleet-tls");
  fs::create_directories(dir.path / "state");
  emu::emulator server(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 2,
      .service = emu::service_options{.rate_limit = {.limit = 1200, .window = 60s, .burst = 5}}});
  server.start();
  constexpr auto duration = 8000ms;
  const double bound = 20.0 * 8;
  std::string url = redis.url();
  url.insert(url.find("://") + 3, "codex@");
  const std::string limiter = url + "?ca_file=" + redis.ca_file();
  std::string output;
  const auto shared = run_fleet(server, dir.path, limiter, "1200/60s", duration, {"CODEX_LIMITER_PASSWORD=" + password}, &output);
  WARN("TLS + password Redis limiter, 4 processes x 16 coroutines, 1200/min for 8 s: " << shared.ok << " ok ("
       << 100.0 * shared.ok / bound << " % of the limit), " << shared.failed << " failed, " << shared.limited << " 429s");
  CHECK(shared.limited == 0);
  CHECK(shared.failed == 0);
  CHECK(shared.ok >= static_cast<long>(0.95 * bound));

  // A wrong password: each worker's calls fail (typed, at once), and nothing shows the password.
  const auto refused = run_fleet(server, dir.path, limiter, "1200/60s", 1000ms, {"CODEX_LIMITER_PASSWORD=wrong-" + password}, &output);
  CHECK(refused.ok == 0);
  CHECK(refused.failed > 0);
  // The codex CLI with the same wrong password: exit status and message name the cause, not the secret.
  const fs::path out = dir.path / "cli.out";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  child cli({binary("CODEX_BIN"), "--limiter", limiter, "whoami"},
            base_environment({"CODEX_CREDENTIALS_FILE=" + server.credentials_file().string(),
                              "CODEX_LIMITER_PASSWORD=wrong-" + password}),
            fd, fd);
  ::close(fd);
  const auto status = cli.wait_for(30s);
  REQUIRE(status);
  const std::string cli_text = read_file(out);
  INFO(cli_text);
  CHECK(WEXITSTATUS(*status) != 0);
  CHECK(cli_text.find("refused the password of user 'codex'") != std::string::npos);
  output += cli_text;
  output += read_file(redis.log_file());
  CHECK(output.find(password) == std::string::npos);
  server.stop();
}

TEST_CASE("4 sharded ingest workers through the Redis limiter, one killed and resumed: every document exactly once", "[redis]") {
  redis_server redis(redis_server::transport::unix_socket);
  codex::test::temp_dir dir("codex-shards");
  fs::create_directories(dir.path / "state");
  emu::emulator server(emu::emulator_options{
      .state_dir = dir.path / "state",
      .threads = 2,
      .service = emu::service_options{.rate_limit = {.limit = 2400, .window = 60s, .burst = 5}}});
  server.start();

  constexpr int lines = 800;
  const fs::path input = dir.path / "docs.jsonl";
  {
    std::ofstream out(input);
    for (int i = 1; i <= lines; ++i) out << "{\"title\":\"doc-" << i << "\",\"tags\":[\"shard-test\"]}\n";
  }
  const auto env = base_environment({"CODEX_CREDENTIALS_FILE=" + server.credentials_file().string(),
                                     "CODEX_LIMITER_URL=" + redis.url()});
  auto spawn = [&](int shard, bool resume) {
    std::vector<std::string> argv = {binary("CODEX_BIN"), "ingest", input.string(), "--shard", std::to_string(shard) + "/4",
                                     "--batch", "5", "--in-flight", "4", "--rate-limit", "2400/60s"};
    if (resume) argv.push_back("--resume");
    const fs::path out = dir.path / ("shard-" + std::to_string(shard) + (resume ? "-resumed" : "") + ".out");
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    auto process = std::make_unique<child>(argv, env, fd, fd);
    ::close(fd);
    return process;
  };
  std::vector<std::unique_ptr<child>> workers;
  for (int shard = 0; shard < 4; ++shard) workers.push_back(spawn(shard, false));
  // Kill shard 1 once it has had some batches acknowledged (its journal grows past the header).
  const fs::path journal = dir.path / "docs.jsonl.shard-1-of-4.journal";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!(fs::exists(journal) && fs::file_size(journal) > 200)) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
  workers[1]->signal(SIGKILL);
  REQUIRE(workers[1]->wait_for(5s));
  for (int shard : {0, 2, 3}) {
    const auto status = workers[shard]->wait_for(60s);
    INFO("shard " << shard << ": " << read_file(dir.path / ("shard-" + std::to_string(shard) + ".out")));
    REQUIRE(status);
    CHECK(WEXITSTATUS(*status) == 0);
  }
  auto resumed = spawn(1, true);
  const auto status = resumed->wait_for(60s);
  const std::string report = read_file(dir.path / "shard-1-resumed.out");
  INFO("resumed shard 1: " << report);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(report.find("already done") != std::string::npos);  // the journal was used

  const auto documents = codex::test::list_every_document(server, 30s);
  std::multiset<std::string> titles;
  for (const auto& d : documents) titles.insert(d.title);
  std::set<std::string> unique(titles.begin(), titles.end());
  WARN("sharded ingest: " << documents.size() << " documents for " << lines << " lines, " << unique.size() << " distinct, "
       << rate_limited(server) << " 429s");
  CHECK(documents.size() == lines);
  CHECK(unique.size() == lines);
  for (int i = 1; i <= lines; ++i) CHECK(titles.count("doc-" + std::to_string(i)) == 1);
  CHECK(rate_limited(server) == 0);
  server.stop();
}
