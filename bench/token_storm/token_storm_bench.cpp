// Token refresh storm: N concurrent callers (coroutines on one codex::client with client
// credentials) find the access token expired at the same moment. Counts the token
// requests the emulator saw (must be exactly 1 per storm: otherwise exit 1) and the time
// until the last caller resumed from its token wait (the observer's token_wait) and
// until the last call completed.
//
//   token-storm-bench CREDENTIALS_JSON
// CREDENTIALS_JSON: the emulator's credentials.json (base_url, ca_file, admin_token,
// client_id, client_secret). The program sets the token TTL and a rate limit that does
// not bind through the control API.

#include "results.hpp"

#include <codex/client.hpp>
#include <codex/config.hpp>
#include <codex/limit/rate.hpp>
#include <codex/observer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

struct emulator_credentials {
  std::string base_url, ca_file, admin_token, client_id, client_secret;
};

emulator_credentials read_credentials(const std::string& path) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string text = simdjson::padded_string::load(path);
  simdjson::ondemand::document doc = parser.iterate(text);
  emulator_credentials c;
  auto field = [&](const char* name) { return std::string(std::string_view(doc[name])); };
  c.base_url = field("base_url");
  c.ca_file = field("ca_file");
  c.admin_token = field("admin_token");
  c.client_id = field("client_id");
  c.client_secret = field("client_secret");
  return c;
}

/// Keeps the longest token wait and the number of refreshes the calls saw.
class storm_observer final : public codex::observer {
 public:
  void on_call(const codex::call_report& report) noexcept override {
    std::lock_guard lock{mutex_};
    max_token_wait_ = std::max(max_token_wait_, report.token_wait);
    if (report.token_refreshes > 0) ++waited_;
  }
  void reset() {
    std::lock_guard lock{mutex_};
    max_token_wait_ = {};
    waited_ = 0;
  }
  /// Calls that started or waited for a refresh (all of them, when the token had expired).
  std::size_t waited() const {
    std::lock_guard lock{mutex_};
    return waited_;
  }
  std::chrono::nanoseconds max_token_wait() const {
    std::lock_guard lock{mutex_};
    return max_token_wait_;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::nanoseconds max_token_wait_{};
  std::size_t waited_ = 0;
};

asio::awaitable<void> sleep_until(clock_type::time_point when) {
  asio::steady_timer timer{co_await asio::this_coro::executor, when};
  co_await timer.async_wait(use_tuple);
}

/// The control API: an anonymous client on the emulator's origin (no /v1 prefix).
class control {
 public:
  control(asio::any_io_executor executor, const emulator_credentials& c)
      : admin_token_(c.admin_token), client_id_(c.client_id), api_(executor, make_config(c)) {}

  asio::awaitable<void> configure(std::string json) {
    codex::api_request request;
    request.method = codex::net::http_method::post;
    request.path = "/_emulator/config";
    request.body = std::move(json);
    request.headers.add("X-Emulator-Admin", admin_token_);
    auto response = co_await api_.execute(std::move(request));
    if (!response) throw std::runtime_error("emulator config: " + response.error().message);
  }

  /// tokens_issued for the client credential.
  asio::awaitable<std::uint64_t> tokens_issued() {
    codex::api_request request;
    request.path = "/_emulator/stats";
    request.headers.add("X-Emulator-Admin", admin_token_);
    auto response = co_await api_.execute(std::move(request));
    if (!response) throw std::runtime_error("emulator stats: " + response.error().message);
    simdjson::ondemand::parser parser;
    const simdjson::padded_string body(response->body);
    simdjson::ondemand::document doc = parser.iterate(body);
    std::uint64_t issued = 0;
    auto credential = doc["credentials"][client_id_];
    if (credential.error() == simdjson::NO_SUCH_FIELD) co_return 0;
    if (auto e = credential["tokens_issued"].get_uint64().get(issued)) {
      throw std::runtime_error(std::string("emulator stats: ") + simdjson::error_message(e));
    }
    co_return issued;
  }

 private:
  static codex::config make_config(const emulator_credentials& c) {
    codex::config cfg;
    const auto prefix = c.base_url.find("/v1");
    cfg.base_url = c.base_url.substr(0, prefix);
    cfg.transport.tls.ca_file = c.ca_file;
    cfg.rate_limit = codex::limit::parse_rate_limit("1000/1s").value();
    return cfg;
  }
  std::string admin_token_;
  std::string client_id_;
  codex::client api_;
};

struct storm_result {
  std::uint64_t token_requests = 0;
  double last_token_wait_ms = 0;  // the longest token wait of any caller
  double last_done_ms = 0;        // from launch to the last call's completion
  std::size_t failures = 0;
  std::size_t waited = 0;         // callers that waited for (or started) the refresh
};

/// One caller: GET /account. (A free function, not a capturing lambda: the lambda
/// would be gone before its coroutine's first resumption.)
asio::awaitable<bool> one_call(codex::client* api) {
  auto account = co_await api->try_account();
  co_return account.has_value();
}

/// `callers` GET /account calls launched at once on `api`; returns when all ended.
asio::awaitable<storm_result> storm(codex::client& api, std::size_t callers, storm_observer& observer) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_done{executor, clock_type::time_point::max()};
  std::size_t remaining = callers;
  storm_result result;
  clock_type::time_point last_end{};
  observer.reset();
  const auto start = clock_type::now();
  // One thread runs the io_context: the completion handlers below never race.
  for (std::size_t i = 0; i < callers; ++i) {
    asio::co_spawn(
        executor,
        one_call(&api),
        [&](std::exception_ptr e, bool ok) {
          if (e || !ok) ++result.failures;
          last_end = clock_type::now();
          if (--remaining == 0) all_done.expires_at(clock_type::time_point::min());
        });
  }
  while (remaining > 0) co_await all_done.async_wait(use_tuple);
  result.last_done_ms = std::chrono::duration<double, std::milli>(last_end - start).count();
  result.last_token_wait_ms = std::chrono::duration<double, std::milli>(observer.max_token_wait()).count();
  result.waited = observer.waited();
  co_return result;
}

asio::awaitable<void> run(const emulator_credentials& creds, int runs, std::size_t callers,
                          std::vector<storm_result>& results) {
  auto executor = co_await asio::this_coro::executor;
  const auto ttl = 3s;
  control admin{executor, creds};
  // Short tokens; a rate limit that cannot bind (1,000,000 per second, a full bucket).
  co_await admin.configure(R"({"token_ttl": 3, "rate_limit": {"limit": 1000000, "window": 1, "burst": 1000000}})");

  auto observer = std::make_shared<storm_observer>();
  codex::config cfg;
  cfg.base_url = creds.base_url;
  cfg.transport.tls.ca_file = creds.ca_file;
  cfg.credentials = codex::client_credentials{.client_id = creds.client_id,
                                              .client_secret = codex::secret(creds.client_secret), .scope = {}};
  cfg.rate_limit = codex::limit::parse_rate_limit("1000000/1s,burst=100000").value();
  cfg.observer = observer;
  codex::client api{executor, cfg};

  // The first token (and warm connections), then each storm after it has expired.
  auto first = co_await api.try_account();
  if (!first) throw std::runtime_error("first call: " + first.error().message);
  auto issued_at = clock_type::now();
  for (int r = 0; r < runs; ++r) {
    co_await sleep_until(issued_at + ttl + 300ms);  // expired for the client and the server
    const std::uint64_t before = co_await admin.tokens_issued();
    issued_at = clock_type::now();
    storm_result result = co_await storm(api, callers, *observer);
    result.token_requests = co_await admin.tokens_issued() - before;
    std::printf("token-storm: run %d: %llu token request(s), %zu callers waited for it, last token wait %.1f ms, "
                "last call done %.1f ms, %zu failed\n",
                r + 1, static_cast<unsigned long long>(result.token_requests), result.waited, result.last_token_wait_ms,
                result.last_done_ms, result.failures);
    results.push_back(result);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::fprintf(stderr, "usage: token-storm-bench CREDENTIALS_JSON\n");
    return 2;
  }
  const bool smoke = bench::smoke();
  const int runs = smoke ? 1 : 5;
  const std::size_t callers = 1000;
  const emulator_credentials creds = read_credentials(argv[1]);

  asio::io_context io{1};
  std::vector<storm_result> results;
  std::exception_ptr failure;
  asio::co_spawn(io, run(creds, runs, callers, results), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);

  std::vector<double> requests, waits, done, failures, waited;
  bool correct = true;
  for (const auto& r : results) {
    requests.push_back(static_cast<double>(r.token_requests));
    waits.push_back(r.last_token_wait_ms);
    done.push_back(r.last_done_ms);
    failures.push_back(static_cast<double>(r.failures));
    waited.push_back(static_cast<double>(r.waited));
    // Every caller must have met the expired token, or the storm proved nothing.
    correct = correct && r.token_requests == 1 && r.failures == 0 && r.waited == callers;
  }
  std::vector<bench::figure> figures;
  const std::string variant = "codex_1000_callers";
  figures.push_back({"token-storm", variant, "token_requests", bench::summarize(requests),
                     bench::target{bench::goal::exactly, 1, "= 1"}});
  figures.push_back({"token-storm", variant, "failed_calls", bench::summarize(failures),
                     bench::target{bench::goal::exactly, 0, "= 0"}});
  figures.push_back({"token-storm", variant, "callers_on_expired", bench::summarize(waited),
                     bench::target{bench::goal::exactly, static_cast<double>(callers), "= 1000"}});
  figures.push_back({"token-storm", variant, "last_token_wait_ms", bench::summarize(waits), std::nullopt});
  figures.push_back({"token-storm", variant, "last_call_done_ms", bench::summarize(done), std::nullopt});
  bench::append_rows(bench::results_path(), figures);
  bench::print_table("token storm — 1,000 callers on an expired token (one client, one io_context thread)", figures);
  if (!correct) {
    std::fprintf(stderr, "token-storm: a storm did not make exactly one token request, a call failed, or not every caller "
                 "met the expired token\n");
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "token-storm: %s\n", e.what());
  return 1;
}
