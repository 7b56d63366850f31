// The consumer builds' program: what a user writes first. Credentials from the
// environment (CODEX_CREDENTIALS_FILE: the emulator's), one call, its answer printed.
#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <exception>

int main() {
  asio::io_context io;
  codex::client api{io.get_executor(), codex::config::from_env().value()};
  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const codex::account me = co_await api.account();
        std::printf("project %s, credential %s\n", me.project.id.c_str(), me.credential.type.c_str());
        status = 0;
      },
      [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& error) {
          std::fprintf(stderr, "whoami: %s\n", error.what());
        }
      });
  io.run();
  return status;
}
