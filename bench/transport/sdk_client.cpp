// The SDK's full call path under load: codex::client with API-key auth, a rate limit
// set far above what the run can reach (so the limiter is on the path but never
// waits), retry bookkeeping, and simdjson decoding into the model —
// `co_await documents().get(id)` or `batch_create(items)` from `concurrency`
// coroutines on one thread. Every decoded answer is compared with the one the server
// serves (--expect-file, decoded once by the SDK's own decoder).

#include "harness.hpp"

#include <codex/client.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <sstream>

namespace {

using bench::transport::options;

/// Everything up to "/documents/" is the SDK's base URL; what follows is the id (GET).
struct resource {
  std::string base_url;
  std::string id;
};

resource split_resource(const std::string& url) {
  constexpr std::string_view marker = "/documents/";
  const auto at = url.rfind(marker);
  if (at == std::string::npos) throw std::invalid_argument("--url must name /documents/{id} or /documents/batch");
  return {url.substr(0, at), url.substr(at + marker.size())};
}

codex::config make_config(const options& o, const std::string& base_url) {
  codex::config c;
  c.base_url = base_url;
  c.credentials = codex::api_key_credentials{.key = codex::secret(o.api_key)};
  // On the path, never binding: a billion requests a second with a deep burst.
  c.rate_limit = codex::limit::rate_limit{.limit = 1'000'000'000, .period = std::chrono::seconds(1), .burst = 1'000'000};
  c.transport.tls.ca_file = o.ca_file;
  c.transport.max_connections = o.concurrency;
  return c;
}

template <class T>
T value_or_fail(codex::result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().describe());
  return std::move(*r);
}

std::vector<codex::document_input> read_items(const std::string& path) {
  std::istringstream lines(bench::transport::read_file(path));
  std::vector<codex::document_input> items;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) items.push_back(value_or_fail(codex::json::decode_document_input(line), "--items-file"));
  }
  return items;
}

bool same(const codex::batch_result& a, const codex::batch_result& b) {
  return a.results == b.results && a.succeeded == b.succeeded && a.failed == b.failed;
}

class sdk_client {
 public:
  explicit sdk_client(const options& o)
      : resource_(split_resource(o.url)), api_(io_.get_executor(), make_config(o, resource_.base_url)),
        concurrency_(o.concurrency), post_(o.method == "POST") {
    const std::string expected = bench::transport::read_file(o.expect_file);
    if (post_) {
      items_ = read_items(o.items_file);
      expected_batch_ = value_or_fail(codex::json::decode_batch_result(expected), "--expect-file");
      note_body_difference(bench::transport::read_file(o.body_file));
    } else {
      expected_document_ = value_or_fail(codex::json::decode_document(expected), "--expect-file");
    }
  }

  std::uint64_t connections() const { return api_.transport_stats().connections_opened; }

  /// `count` calls from `concurrency` coroutines.
  void run(std::uint64_t count) {
    remaining_ = count;
    unsigned active = concurrency_;
    for (unsigned i = 0; i < concurrency_; ++i) {
      asio::co_spawn(io_, post_ ? batch_worker() : get_worker(), [this, &active](std::exception_ptr e) {
        if (e && !failure_) failure_ = e;
        // Idle pooled connections keep the context busy: stop when the work is done.
        if (--active == 0) io_.stop();
      });
    }
    io_.restart();
    io_.run();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  asio::awaitable<void> get_worker() {
    while (remaining_ > 0 && !failure_) {
      --remaining_;
      std::string id = resource_.id;
      const codex::document doc = co_await api_.documents().get(std::move(id));
      if (doc != expected_document_) throw std::runtime_error("the decoded document is not the one served");
    }
  }

  asio::awaitable<void> batch_worker() {
    while (remaining_ > 0 && !failure_) {
      --remaining_;
      const codex::batch_result result = co_await api_.documents().batch_create(items_);
      if (!same(result, expected_batch_)) throw std::runtime_error("the decoded batch result is not the one served");
    }
  }

  /// The SDK encodes the items itself; say so if that is not byte for byte the body
  /// the other clients send (the comparison would then be of different payloads).
  void note_body_difference(const std::string& body) const {
    std::string encoded;
    if (codex::json::encode_batch(items_, encoded)) throw std::runtime_error("cannot encode the items");
    if (encoded != body)
      std::fprintf(stderr, "sdk_client: note: the SDK's encoded batch is %zu bytes, --body-file %zu\n", encoded.size(),
                   body.size());
  }

  asio::io_context io_{1};
  resource resource_;
  codex::client api_;
  unsigned concurrency_;
  bool post_;
  codex::document expected_document_;
  codex::batch_result expected_batch_;
  std::vector<codex::document_input> items_;
  std::uint64_t remaining_ = 0;
  std::exception_ptr failure_;
};

}  // namespace

int main(int argc, char** argv) {
  return bench::transport::run_main([&] {
    const options o = bench::transport::parse_options(argc, argv, "sdk");
    if (o.api_key.empty()) throw std::invalid_argument("sdk_client needs --key");
    sdk_client client(o);
    bench::transport::measure(o, [&](std::uint64_t count) { client.run(count); }, [&] { return client.connections(); });
  });
}
