// The consumer builds' check of the Redis limiter as a build option: a client asked for
// a Redis limiter is made ("available": the limiter library is linked in and installed
// itself), or refused with errc::not_supported when codex-cpp was built without Redis.
// No Redis is needed: the client is destroyed before its io_context ever runs.
#include <codex/client.hpp>

#include <asio/io_context.hpp>

#include <cstdio>

int main() {
  asio::io_context io;
  codex::config cfg;
  cfg.base_url = "https://127.0.0.1:1";
  cfg.limiter = codex::limit::redis("redis://127.0.0.1:1/0");
  try {
    codex::client api{io.get_executor(), cfg};
    std::printf("redis limiter: available\n");
  } catch (const codex::error& e) {
    if (e.code() != codex::errc::not_supported) {
      std::fprintf(stderr, "redis_choice: %s\n", e.what());
      return 1;
    }
    std::printf("redis limiter: not_supported (%s)\n", e.what());
  }
  return 0;
}
