// The consumer builds' test-kit program: what a user's test does first. Starts the
// emulator in-process (codex::testing), makes one call through it with the ready
// configuration, and prints the answer and what the emulator counted.
#include <codex/client.hpp>
#include <codex/testing/emulator.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

int main() {
  try {
    codex::testing::emulator server;
    asio::io_context io;
    codex::client api{io.get_executor(), server.config()};
    int status = 1;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const codex::account me = co_await api.account();
          std::printf("project %s, credential %s, ", me.project.id.c_str(), me.credential.type.c_str());
          status = me.project.id == server.credentials().project_id ? 0 : 1;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run_for(std::chrono::seconds(30));
    const auto counted = server.counters_of(codex::testing::credential_kind::api_key);
    std::printf("emulator at %s counted %llu request(s)\n", server.base_url().c_str(),
                static_cast<unsigned long long>(counted.requests));
    return counted.requests == 1 ? status : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "emulator_call: %s\n", error.what());
    return 1;
  }
}
