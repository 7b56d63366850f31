// A service that co_awaits Codex calls among its own work.
//
// One coroutine is the service's own work (here: a heartbeat every 50 ms); another
// checks the credentials with GET /account and reads the first page of documents.
// Both share one thread: while a call waits for the network, the heartbeat runs.
//
// Configuration: codex::config::from_env() — CODEX_API_KEY (+ CODEX_BASE_URL,
// CODEX_CA_FILE), or the emulator's credentials file (CODEX_CREDENTIALS_FILE).

#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <memory>

namespace {

using namespace std::chrono_literals;

/// What the service's two activities share (one thread: no locking needed).
struct service_state {
  bool api_work_done = false;
  int beats = 0;
};

/// The service's own work: it never waits for the API. (Coroutine arguments by
/// value: the state is shared, not referenced.)
asio::awaitable<void> heartbeat(std::shared_ptr<service_state> state) {
  asio::steady_timer timer{co_await asio::this_coro::executor};
  while (!state->api_work_done) {
    timer.expires_after(50ms);
    co_await timer.async_wait(asio::use_awaitable);
    ++state->beats;
  }
}

/// The client is shared by reference: it outlives every call (main owns it).
asio::awaitable<void> use_the_api(codex::client& api) {
  const codex::account me = co_await api.account();
  std::cout << "account: project " << me.project.id << " (" << me.project.permission << ") as "
            << me.credential.type << " " << me.credential.prefix << "\n";

  // Options in a named variable: g++ 12 mishandles a braced aggregate inside a
  // co_await expression.
  const codex::list_options first_page{.limit = 20};
  const codex::page<codex::document> page = co_await api.documents().list(first_page);
  std::cout << "documents on the first page: " << page.data.size() << (page.next_cursor ? " (more follow)" : "")
            << "\n";
  for (const auto& doc : page.data) std::cout << "  " << doc.id << "  " << doc.title << "\n";
}

}  // namespace

int main() {
  auto configuration = codex::config::from_env();
  if (!configuration) {
    std::cerr << "configuration: " << configuration.error().describe() << "\n";
    return 2;
  }

  asio::io_context io;
  codex::client api{io.get_executor(), std::move(*configuration)};
  auto state = std::make_shared<service_state>();
  int status = 0;
  int running = 2;
  // The client's idle connections would keep run() going: stop when both are done.
  auto finished = [&] {
    if (--running == 0) io.stop();
  };

  asio::co_spawn(io, heartbeat(state), [&](std::exception_ptr) { finished(); });
  asio::co_spawn(io, use_the_api(api), [&](std::exception_ptr failure) {
    state->api_work_done = true;
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const codex::error& e) {
        std::cerr << "codex: " << e.what() << "\n";
      } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
      }
      status = 1;
    }
    finished();
  });
  io.run();
  std::cout << "heartbeats meanwhile: " << state->beats << "\n";
  return status;
}
