// Creates documents with one POST /documents/batch and prints each item's outcome.
// Partial failure is normal: two of the five items below carry client ids that the
// service refuses, and come back as per-item 422s with their index and reason.
//
// Configuration: codex::config::from_env().

#include <codex/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<codex::document_input> sample_batch() {
  std::vector<codex::document_input> items;
  for (const char* title : {"first", "second", "third", "fourth", "fifth"}) {
    codex::document_input item;
    item.title = title;
    item.body = std::string("the ") + title + " document";
    item.tags = {"example", "batch"};
    items.push_back(std::move(item));
  }
  items[1].id = "not a valid id";       // spaces: refused by the service
  items[3].id = std::string(300, 'x');  // too long: refused by the service
  return items;
}

asio::awaitable<codex::batch_result> create(codex::client& api, std::vector<codex::document_input> items) {
  // The span is consumed (checked and encoded) when batch_create is called.
  co_return co_await api.documents().batch_create(items);
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
  int status = 0;
  asio::co_spawn(io, create(api, sample_batch()), [&](std::exception_ptr failure, codex::batch_result result) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";  // the whole request failed
      }
      status = 1;
    } else {
      for (const auto& item : result.results) {
        if (item.ok()) {
          std::cout << "item " << item.index << ": " << item.status << " created " << item.id << "\n";
        } else {
          std::cout << "item " << item.index << ": " << item.status << " failed: "
                    << (item.error ? item.error->error + ": " + item.error->message : std::string("?")) << "\n";
        }
      }
      std::cout << "succeeded " << result.succeeded << ", failed " << result.failed << "\n";
    }
    io.stop();
  });
  io.run();
  return status;
}
