#include "emulator_documents.hpp"

#include "run_coroutine.hpp"

#include <codex/client.hpp>
#include <codex/json/decode.hpp>
#include <codex/net/url.hpp>

namespace codex::test {

std::vector<document> list_every_document(const config& cfg, std::chrono::milliseconds deadline) {
  return run_coroutine(
      [cfg](asio::any_io_executor ex) -> asio::awaitable<std::vector<document>> {
        client api(ex, cfg);
        std::vector<document> all;
        std::optional<std::string> cursor;
        do {
          std::string query = "limit=1000";
          if (cursor) query += "&cursor=" + net::percent_encode(*cursor);
          // A named request: g++ 12 mishandles an aggregate temporary inside a co_await expression.
          api_request request{.path = "/documents", .query = std::move(query)};
          auto response = co_await api.execute(std::move(request));
          auto page = json::decode_document_page(response.value().body).value();
          for (auto& d : page.data) all.push_back(std::move(d));
          cursor = page.next_cursor;
        } while (cursor && !cursor->empty());
        co_return all;
      },
      deadline);
}

std::vector<document> list_every_document(const emulator::emulator& server, std::chrono::milliseconds deadline) {
  config cfg;
  cfg.base_url = server.base_url();
  cfg.credentials = api_key_credentials{.key = secret(server.credentials().api_key)};
  cfg.transport.tls.ca_file = server.ca_file().string();
  return list_every_document(cfg, deadline);
}

}  // namespace codex::test
