// The Redis limiter's own cost: how many checks (acquires) per second 64 coroutines of
// one process get from a local Redis, and how many Redis commands and socket writes
// each admitted request costs — with one slot per round trip (lease 1) and with leases
// of 16. The limit is set far above what Redis can serve, so nothing waits: this
// measures the limiter, not the rate. REDIS_URL is a --limiter URL (rediss://…?ca_file=
// for TLS; the password from CODEX_LIMITER_PASSWORD).
//   redis_limiter_bench REDIS_URL [SECONDS] [RUNS]

#include "limit/redis_limiter.hpp"

#include "results.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <variant>

namespace {

using clock_type = std::chrono::steady_clock;

struct sample {
  double checks_per_second = 0;
  double commands_per_admitted = 0;
  double writes_per_admitted = 0;
};

sample run(const std::string& url, std::uint32_t lease, std::chrono::milliseconds duration, int run_index) {
  asio::io_context io;
  auto choice = codex::limit::parse_limiter_url(url);
  if (!choice || !std::holds_alternative<codex::limit::redis_limiter_options>(*choice))
    throw std::runtime_error("not a Redis limiter URL: " + url);
  auto options = std::get<codex::limit::redis_limiter_options>(std::move(*choice));
  options.lease = lease;
  const codex::limit::rate_limit rate{.limit = 1'000'000, .period = std::chrono::seconds(1), .burst = 1};
  auto limiter = std::make_unique<codex::limit::redis_limiter>(
      io.get_executor(), options, rate, "bench:" + std::to_string(lease) + ":" + std::to_string(run_index));
  std::uint64_t admitted = 0;
  bool failed = false;
  // Warm-up: connect and load the script before the clock starts.
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto s = co_await limiter->acquire(clock_type::now() + std::chrono::seconds(5));
    if (!s) failed = true;
    io.stop();  // the connection's loop would keep run() busy
  }, asio::detached);
  io.run();
  io.restart();
  const auto before = limiter->connection().stats();
  const auto admitted_before = limiter->stats().admitted;
  const auto start = clock_type::now();
  const auto end = start + duration;
  for (int c = 0; c < 64; ++c) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      while (clock_type::now() < end) {
        auto s = co_await limiter->acquire(clock_type::now() + std::chrono::seconds(5));
        if (!s) {
          failed = true;
          break;
        }
        ++admitted;
      }
    }, asio::detached);
  }
  asio::steady_timer stop(io, end + std::chrono::milliseconds(200));
  stop.async_wait([&](std::error_code) { io.stop(); });
  io.run();
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  const auto after = limiter->connection().stats();
  const double admitted_slots = static_cast<double>(limiter->stats().admitted - admitted_before);
  if (failed) throw std::runtime_error("an acquire failed: is Redis at " + options.url + "?");
  limiter.reset();
  return {.checks_per_second = static_cast<double>(admitted) / seconds,
          .commands_per_admitted = static_cast<double>(after.commands - before.commands) / admitted_slots,
          .writes_per_admitted = static_cast<double>(after.round_trips - before.round_trips) / admitted_slots};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: redis_limiter_bench REDIS_URL [SECONDS] [RUNS]\n");
    return 2;
  }
  const std::string url = argv[1];
  const auto duration = std::chrono::milliseconds(static_cast<long>((argc > 2 ? std::atof(argv[2]) : 3.0) * 1000));
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  std::vector<bench::figure> figures;
  for (std::uint32_t lease : {1u, 16u}) {
    std::vector<double> checks, commands, writes;
    for (int r = 0; r < runs; ++r) {
      const auto s = run(url, lease, duration, r);
      checks.push_back(s.checks_per_second);
      commands.push_back(s.commands_per_admitted);
      writes.push_back(s.writes_per_admitted);
    }
    const std::string variant = "lease-" + std::to_string(lease) +
                                (url.starts_with("unix:") ? "-unix" : url.starts_with("rediss:") ? "-tls" : "-tcp");
    figures.push_back({.benchmark = "redis-limiter", .variant = variant, .metric = "checks_per_s",
                       .value = bench::summarize(checks)});
    figures.push_back({.benchmark = "redis-limiter", .variant = variant, .metric = "redis_commands_per_admitted",
                       .value = bench::summarize(commands),
                       .goal_for = bench::target{bench::goal::at_most, lease == 1 ? 1.0 : 0.065, lease == 1 ? "≤ 1" : "≈ 1/16"}});
    figures.push_back({.benchmark = "redis-limiter", .variant = variant, .metric = "socket_writes_per_admitted",
                       .value = bench::summarize(writes)});
  }
  const std::string shown = url.substr(0, url.find('?'));
  bench::print_table("Redis limiter: 64 coroutines, one process, local Redis (" + shown + ")", figures);
  bench::append_rows(bench::results_path(), figures);
  return 0;
}
