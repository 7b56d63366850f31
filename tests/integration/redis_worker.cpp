// A worker process for the multi-process limiter test: C coroutines call GET /account
// as fast as the client's limiter allows, from a common start time for D ms, then it
// prints what completed in that window. Configuration from argv (no secret there):
//   redis_worker BASE_URL CA_FILE LIMITER RATE START_EPOCH_MS DURATION_MS COROUTINES
// and the API key from WORKER_API_KEY. Output: "ok=N failed=M".

#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 8 || std::getenv("WORKER_API_KEY") == nullptr) {
    std::fprintf(stderr, "usage: redis_worker BASE_URL CA_FILE LIMITER RATE START_EPOCH_MS DURATION_MS COROUTINES\n");
    return 2;
  }
  codex::config cfg;
  cfg.base_url = argv[1];
  cfg.transport.tls.ca_file = argv[2];
  cfg.credentials = codex::api_key_credentials{.key = codex::secret(std::getenv("WORKER_API_KEY"))};
  auto limiter = codex::limit::parse_limiter_url(argv[3]);
  auto rate = codex::limit::parse_rate_limit(argv[4]);
  if (!limiter || !rate) return 2;
  cfg.limiter = *limiter;
  cfg.rate_limit = *rate;
  cfg.timeout = std::chrono::seconds(5);
  const auto start = std::chrono::system_clock::time_point(std::chrono::milliseconds(std::atoll(argv[5])));
  const auto end = start + std::chrono::milliseconds(std::atoll(argv[6]));
  const int coroutines = std::atoi(argv[7]);

  asio::io_context io;
  codex::client api(io.get_executor(), cfg);
  long ok = 0, failed = 0;
  for (int i = 0; i < coroutines; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      asio::system_timer until_start(io, start);
      co_await until_start.async_wait(asio::use_awaitable);
      while (std::chrono::system_clock::now() < end) {
        auto account = co_await api.try_account();
        if (std::chrono::system_clock::now() > end) break;  // completed outside the window
        if (account) ++ok; else ++failed;
      }
    }, asio::detached);
  }
  asio::system_timer stop(io, end + std::chrono::milliseconds(50));
  stop.async_wait([&](std::error_code) { io.stop(); });
  io.run();
  std::printf("ok=%ld failed=%ld\n", ok, failed);
  return 0;
}
