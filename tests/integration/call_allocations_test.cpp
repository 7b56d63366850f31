// Heap allocations of the steady call path: 1,000 GETs with an API key over one
// keep-alive TLS connection to the scripted test server, counted by a global
// operator new on the calling thread only (counting_allocator: the server's threads
// and OpenSSL, which allocates with malloc, are not counted). A count, not a timing:
// it may assert.
// The model's share is what the decoded document needs for its own strings — measured
// here by copying one — so the test follows the model, not a number typed in. The call
// path's own share is held under a ceiling (what it measured when this test came in):
// a regression fails; issue 14's aim is a share of zero, which the ceiling will follow
// down as it is reached.

#include "counting_allocator.hpp"
#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>

#include <cstdio>

namespace {

using codex::test::allocation_count;

constexpr const char* document_json =
    R"({"id":"doc_0123456789abcdef","project_id":"prj_0123456789abcdef","version":3,)"
    R"("created_at":"2026-12-01T10:00:00Z","updated_at":"2026-12-02T10:00:00Z","title":"An ordinary title",)"
    R"("body":"A body of a few words, longer than the small-string buffer.","tags":["alpha","beta"],"public":false})";

}  // namespace

TEST_CASE("a steady GET allocates no more than the decoded document's strings and the call path's ceiling",
          "[allocations]") {
  codex::test::test_server server{[](codex::net::codec::server_request&, const codex::emulator::request_context&) {
    codex::emulator::response_plan plan;
    plan.headers.add("Content-Type", "application/json");
    plan.headers.add("X-Request-Id", "req_0123456789abcdef");
    plan.body = document_json;
    return plan;
  }};
  codex::config cfg;
  cfg.base_url = server.base_url() + "/v1";
  cfg.credentials = codex::api_key_credentials{.key = codex::secret("cdx_allocations_0123456789abcdef0123456789")};
  cfg.transport.tls.ca_file = server.ca_file();
  cfg.rate_limit = codex::limit::parse_rate_limit("1000000/1s").value();

  constexpr int warm_up = 50;
  constexpr int requests = 1000;
  struct figures {
    std::size_t per_request_total = 0;
    std::size_t document_strings = 0;
  };
  const auto counted = codex::test::run_coroutine(
      [&](asio::any_io_executor executor) -> asio::awaitable<figures> {
        codex::client api{executor, cfg};
        auto docs = api.documents();
        // Warm-up: the connection, the TLS session, every buffer and cache reach their size.
        for (int i = 0; i < warm_up; ++i) {
          const auto done = co_await docs.try_get("doc_0123456789abcdef");
          REQUIRE(done);
        }
        std::optional<codex::document> last;
        std::size_t total = 0;
        {
          int failed = 0;  // checked after counting: Catch's own bookkeeping is not the SDK's
          allocation_count count;
          for (int i = 0; i < requests; ++i) {
            auto doc = co_await docs.try_get("doc_0123456789abcdef");
            if (!doc) ++failed;
            if (doc && i + 1 == requests) last = std::move(*doc);
          }
          total = count.so_far();
          REQUIRE(failed == 0);
          count.print_sizes("allocation sizes in the steady loop, per GET", requests);
        }
        std::size_t model = 0;
        {
          allocation_count count;
          const codex::document copy = *last;  // what the model's strings and vectors cost
          model = count.so_far();
          CHECK(copy.title == "An ordinary title");
        }
        co_return figures{.per_request_total = total, .document_strings = model * requests};
      },
      std::chrono::seconds(120));
  const double per_request = static_cast<double>(counted.per_request_total) / requests;
  const double model = static_cast<double>(counted.document_strings) / requests;
  std::printf("allocations per GET: %.2f (the decoded document's own: %.2f)\n", per_request, model);
  WARN("allocations per GET: " << per_request << " (the decoded document's own: " << model << ")");
  // Measured 2026-12-02: 26 per GET at first; 18 since the connection's strand is over
  // the io_context's own executor type and is not re-entered when already held. Of
  // the 18, 8 are the decode's (the model's 7, and one more for a tags vector that
  // grows), the rest the call path's: coroutine frames beyond Asio's two-block cache
  // (drive, send, exchange, an operation's), the response's field buffer and body,
  // the path. 16 since 2026-12-03: the send's and the exchange's frames fit Asio's
  // recycling limit (1,020 bytes) and its cache holds four blocks a purpose, so only
  // the driver's frame (2,137 bytes) of the three is still a malloc.
  constexpr std::size_t call_path_ceiling = 9;
  CHECK(counted.per_request_total <= counted.document_strings + call_path_ceiling * requests);
}
