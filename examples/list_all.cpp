// Walks every document the credentials can see with documents().list_all(), which
// follows next_cursor page after page (fetching the next page while this one is
// printed), and prints each id and title. An optional argument filters by tag.
//
// Configuration: codex::config::from_env().

#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <exception>
#include <iostream>
#include <optional>

namespace {

asio::awaitable<std::size_t> print_all(codex::client& api, codex::list_options options) {
  codex::document_stream all = api.documents().list_all(std::move(options));
  std::size_t count = 0;
  for (;;) {
    std::optional<codex::document> doc = co_await all.next();  // throws codex::error
    if (!doc) break;
    std::cout << doc->id << "\t" << doc->title << "\n";
    ++count;
  }
  co_return count;
}

}  // namespace

int main(int argc, char** argv) {
  auto configuration = codex::config::from_env();
  if (!configuration) {
    std::cerr << "configuration: " << configuration.error().describe() << "\n";
    return 2;
  }
  codex::list_options options{.limit = 1000};
  if (argc > 1) options.tag = argv[1];

  asio::io_context io;
  codex::client api{io.get_executor(), std::move(*configuration)};
  int status = 0;
  asio::co_spawn(io, print_all(api, std::move(options)), [&](std::exception_ptr failure, std::size_t count) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
      }
      status = 1;
    } else {
      std::cout << count << " documents\n";
    }
    io.stop();  // the client's idle connections would keep run() going
  });
  io.run();
  return status;
}
