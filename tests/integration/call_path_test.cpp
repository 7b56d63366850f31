// The call path's pacing and resilience end to end, over TLS on 127.0.0.1: the shared
// per-key limiter against the emulator's own limit, Retry-After (both forms) honoured
// by every coroutine of the key and spread by jitter, retries through injected faults,
// exactly-once creation through dropped connections, and one client on many threads.

#include "call_path_support.hpp"
#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>
#include <codex/net/pacing_headers.hpp>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using codex::errc;
using codex::emulator::request_context;
using codex::emulator::response_plan;
using codex::net::codec::server_request;
using codex::test::call_outcome;
using codex::test::journal_entry;
using codex::test::live_emulator;
using codex::test::steady_clock;

codex::emulator::service_options emulator_limit(std::uint32_t limit, std::chrono::milliseconds window) {
  codex::emulator::service_options options;
  options.rate_limit.limit = limit;
  options.rate_limit.window = window;
  return options;
}

double seconds_between(steady_clock::time_point from, steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::size_t count_status(const std::vector<journal_entry>& journal, int status) {
  return static_cast<std::size_t>(
      std::count_if(journal.begin(), journal.end(), [status](const auto& e) { return e.status == status; }));
}

std::size_t failures(const std::vector<call_outcome>& outcomes) {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return !o.ok; }));
}

/// The first failure's description, for INFO().
std::string first_failure(const std::vector<call_outcome>& outcomes) {
  for (const auto& o : outcomes) {
    if (!o.ok) return o.finished ? o.error.describe() : "(never finished)";
  }
  return "none";
}

/// `workers` coroutines per client, each calling GET /account back to back until
/// `duration` has passed; returns every outcome.
asio::awaitable<std::vector<call_outcome>> hammer(std::vector<codex::client*> clients, std::size_t workers,
                                                  std::chrono::milliseconds duration) {
  const auto end = steady_clock::now() + duration;
  std::vector<std::vector<call_outcome>> per_worker(clients.size() * workers);
  co_await codex::test::run_all(per_worker.size(), [&](std::size_t i) -> asio::awaitable<void> {
    codex::client& api = *clients[i % clients.size()];
    while (steady_clock::now() < end) per_worker[i].push_back(co_await codex::test::call(api, codex::test::get("/account")));
  });
  std::vector<call_outcome> all;
  for (auto& outcomes : per_worker) all.insert(all.end(), outcomes.begin(), outcomes.end());
  co_return all;
}

/// Requests per second between the first and the last arrival.
double achieved_rate(const std::vector<journal_entry>& journal) {
  REQUIRE(journal.size() > 2);
  return static_cast<double>(journal.size() - 1) / seconds_between(journal.front().arrived, journal.back().arrived);
}

/// For every 429 the emulator sent: no later request of the key arrived before the time
/// its Retry-After named — `pause` after the response for delta-seconds, the date for an
/// HTTP-date. `journal` holds one key's requests.
void require_retry_after_honoured(const std::vector<journal_entry>& journal) {
  for (const auto& limited : journal) {
    if (limited.status != 429) continue;
    const auto date = codex::net::parse_http_date(limited.retry_after, std::chrono::system_clock::now());
    const auto delta = codex::net::parse_unsigned(limited.retry_after);
    REQUIRE((date || delta));
    for (const auto& later : journal) {
      if (later.arrived <= limited.answered) continue;  // sent before the 429 was
      INFO("Retry-After: " << limited.retry_after << "; a request came "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(later.arrived - limited.answered).count()
                           << " ms after the 429");
      if (delta) CHECK(later.arrived >= limited.answered + std::chrono::seconds(*delta));
      if (date) CHECK(later.arrived_wall >= *date);
    }
  }
}

/// One call that takes the emulator's only slot, then one that gets a 429 and, while it
/// waits, a third call on another coroutine: neither may reach the emulator before the
/// Retry-After's time. Returns the third call's report.
codex::test::recorded_call run_retry_after_scenario(live_emulator& emulator) {
  auto observer = std::make_shared<codex::test::recording_observer>();
  // The client's own limit is far above the emulator's: only the 429 paces it.
  auto cfg = codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key), "1000/1s");
  cfg.observer = observer;
  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        std::vector<call_outcome> results(3);
        results[0] = co_await codex::test::call(api, codex::test::get("/account"));
        co_await codex::test::run_all(2, [&](std::size_t i) -> asio::awaitable<void> {
          if (i == 0) {
            results[1] = co_await codex::test::call(api, codex::test::get("/account"));
          } else {
            co_await codex::test::sleep_for(200ms);  // the 429 has come by now
            results[2] = co_await codex::test::call(api, codex::test::get("/documents"));
          }
        });
        co_return results;
      },
      30s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  const auto journal = emulator.journal();
  CHECK(count_status(journal, 429) >= 1);
  require_retry_after_honoured(journal);

  for (const auto& report : observer->calls()) {
    if (report.path == "/documents") return report;
  }
  FAIL("no report for the third call");
  return {};
}

asio::awaitable<std::vector<call_outcome>> run_concurrently(codex::client& api, std::size_t count,
                                                            std::function<codex::api_request(std::size_t)> make) {
  std::vector<call_outcome> outcomes(count);
  co_await codex::test::run_all(count, [&](std::size_t i) -> asio::awaitable<void> {
    outcomes[i] = co_await codex::test::call(api, make(i));
  });
  co_return outcomes;
}

/// Retries that go on for as long as the faults need: 10 attempts (a call fails only if
/// all ten draw a fault) and a budget the run cannot empty. Backoff capped at 1 s, so
/// that an unlucky run of faults does not make the test slow.
codex::config resilient(codex::config cfg) {
  cfg.retry.max_attempts = 10;
  cfg.retry.backoff.max = std::chrono::seconds(1);
  cfg.retry_budget.max_tokens = 100000;
  return cfg;
}

}  // namespace

TEST_CASE("client limit equal to the emulator's: zero 429s, and the limit's rate within 5 %", "[limiter]") {
  live_emulator emulator{emulator_limit(50, 1s)};
  const auto& seed = emulator.seeded();
  const auto cfg = codex::test::client_config(emulator, codex::test::api_key(seed.api_key), "50/1s");
  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        std::vector<codex::client*> clients{&api};
        co_return co_await hammer(std::move(clients), 64, 2500ms);
      },
      40s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  CHECK(emulator.counters(seed.api_key_id).rate_limited == 0);
  const auto journal = emulator.journal_of("/v1/account");
  CHECK(count_status(journal, 429) == 0);
  const double rate = achieved_rate(journal);
  INFO(journal.size() << " requests at " << rate << "/s");
  CHECK(rate >= 50 * 0.95);
  CHECK(rate <= 50 * 1.05);
}

TEST_CASE("two clients of one key in one process share its limiter: still zero 429s at the limit's rate", "[limiter]") {
  live_emulator emulator{emulator_limit(50, 1s)};
  const auto& seed = emulator.seeded();
  const auto cfg = codex::test::client_config(emulator, codex::test::api_key(seed.api_key), "50/1s");
  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client first{executor, cfg};
        codex::client second{executor, cfg};
        std::vector<codex::client*> clients{&first, &second};
        co_return co_await hammer(std::move(clients), 32, 2500ms);
      },
      40s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  CHECK(emulator.counters(seed.api_key_id).rate_limited == 0);
  const auto journal = emulator.journal_of("/v1/account");
  CHECK(count_status(journal, 429) == 0);
  // Two limiters would have sent twice the rate.
  const double rate = achieved_rate(journal);
  INFO(journal.size() << " requests at " << rate << "/s");
  CHECK(rate >= 50 * 0.95);
  CHECK(rate <= 50 * 1.05);
}

TEST_CASE("Retry-After: 1 holds back every coroutine of the key until the time it names", "[retry-after]") {
  live_emulator emulator{emulator_limit(1, 1s)};
  const auto third = run_retry_after_scenario(emulator);
  bool saw_delta = false;
  for (const auto& entry : emulator.journal()) saw_delta = saw_delta || entry.retry_after == "1";
  CHECK(saw_delta);
  // The third call started 200 ms after the 429 and still waited in the limiter.
  CHECK(third.limiter_wait >= 500ms);
}

TEST_CASE("Retry-After as an HTTP-date holds back every coroutine of the key until that date", "[retry-after]") {
  auto options = emulator_limit(1, 1s);
  options.retry_after = codex::emulator::retry_after_format::http_date;
  live_emulator emulator{options};
  const auto third = run_retry_after_scenario(emulator);
  bool saw_date = false;
  for (const auto& entry : emulator.journal()) saw_date = saw_date || entry.retry_after.ends_with(" GMT");
  CHECK(saw_date);
  CHECK(third.limiter_wait >= 500ms);
}

TEST_CASE("100 callers told Retry-After: 1 at the same moment come back after it, spread over time", "[retry-after]") {
  // Each caller's first request gets a 429; the answers are held until one common
  // moment so that all hundred hear "1 s" together. The journal keeps, per caller,
  // when its 429 left and when its retry arrived.
  struct caller_log {
    steady_clock::time_point limited_at{};
    std::vector<steady_clock::time_point> arrivals;
  };
  std::mutex mutex;
  std::map<std::string, caller_log> callers;
  std::optional<steady_clock::time_point> release_at;
  codex::test::test_server server{[&](server_request& request, const request_context&) {
    const auto now = steady_clock::now();
    const std::string caller(request.headers.find("X-Caller").value_or(""));
    std::lock_guard lock{mutex};
    auto& log = callers[caller];
    log.arrivals.push_back(now);
    response_plan plan;
    plan.headers.add("Content-Type", "application/json");
    if (log.arrivals.size() > 1) {
      plan.body = R"({"ok":true})";
      return plan;
    }
    if (!release_at) release_at = now + 800ms;  // time for a hundred TLS handshakes
    plan.status = 429;
    plan.headers.add("Retry-After", "1");
    plan.body = R"({"status":429,"error":"rate_limited","message":"Too many requests"})";
    plan.delay = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(*release_at - now, steady_clock::duration{}));
    log.limited_at = now + plan.delay;
    return plan;
  }};

  // A client-side limit so high that its pacing spreads nothing: any spread is jitter.
  auto cfg = codex::test::client_config(server.base_url() + "/v1", server.ca_file(),
                                        codex::test::api_key("cdx_abcdef0123456789abcdef0123456789abcdef01"),
                                        "100000/1s");
  cfg.transport.max_connections = 128;
  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        co_return co_await run_concurrently(api, 100, [](std::size_t i) {
          auto request = codex::test::get("/account");
          request.headers.add("X-Caller", std::to_string(i));
          return request;
        });
      },
      30s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  std::lock_guard lock{mutex};
  REQUIRE(callers.size() == 100);
  std::vector<steady_clock::time_point> retries;
  for (const auto& [caller, log] : callers) {
    REQUIRE(log.arrivals.size() == 2);
    INFO("caller " << caller << " came back after "
                   << std::chrono::duration_cast<std::chrono::milliseconds>(log.arrivals[1] - log.limited_at).count()
                   << " ms");
    CHECK(log.arrivals[1] >= log.limited_at + 1s);
    retries.push_back(log.arrivals[1]);
  }
  std::sort(retries.begin(), retries.end());
  const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(retries.back() - retries.front());
  // The busiest millisecond: with no jitter all hundred would share one.
  std::size_t busiest = 0;
  for (std::size_t first = 0, last = 0; first < retries.size(); ++first) {
    while (last < retries.size() && retries[last] < retries[first] + 1ms) ++last;
    busiest = std::max(busiest, last - first);
  }
  INFO("retries spread over " << spread.count() << " ms, at most " << busiest << " in one millisecond");
  CHECK(spread >= 100ms);
  CHECK(busiest <= 20);
}

TEST_CASE("500s and 503s on 30 % of requests: every GET succeeds within its attempts", "[faults]") {
  codex::emulator::service_options options;
  options.faults.p500 = 0.15;
  options.faults.p503 = 0.18;  // after the 500 draw: 0.15 + 0.85 × 0.18 ≈ 0.30 in all
  live_emulator emulator{options};
  auto observer = std::make_shared<codex::test::recording_observer>();
  auto cfg = resilient(codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key)));
  cfg.observer = observer;

  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        co_return co_await run_concurrently(api, 200, [](std::size_t) { return codex::test::get("/account"); });
      },
      40s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  // The faults really happened, and were survived by retrying.
  const auto journal = emulator.journal_of("/v1/account");
  CHECK(count_status(journal, 500) > 10);
  CHECK(count_status(journal, 503) > 10);
  CHECK(journal.size() > 250);
  const auto calls = observer->calls();
  CHECK(std::count_if(calls.begin(), calls.end(), [](const auto& c) { return c.attempts > 1; }) > 20);
}

TEST_CASE("connections dropped mid-response on 30 % of requests: every GET succeeds within its attempts", "[faults]") {
  codex::emulator::service_options options;
  options.faults.p_drop = 0.3;
  live_emulator emulator{options};
  const auto cfg = resilient(codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key)));

  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        co_return co_await run_concurrently(api, 200, [](std::size_t) { return codex::test::get("/account"); });
      },
      40s);

  INFO(first_failure(outcomes));
  CHECK(failures(outcomes) == 0);
  const auto journal = emulator.journal_of("/v1/account");
  CHECK(std::count_if(journal.begin(), journal.end(), [](const auto& e) { return e.cut; }) > 20);
}

TEST_CASE("a POST with an Idempotency-Key through dropped connections creates exactly one document", "[faults]") {
  codex::emulator::service_options options;
  options.faults.p_drop = 0.5;
  live_emulator emulator{options};
  auto cfg = resilient(codex::test::client_config(emulator, codex::test::api_key(emulator.seeded().api_key)));
  // Half of all responses are dropped: with 10 attempts a POST fails for good with
  // p = 2^-10, i.e. about once in 50 runs of 20 POSTs. 20 attempts make it ~2 * 10^-5.
  cfg.retry.max_attempts = 20;
  constexpr std::size_t documents = 20;

  const auto [created, listing] = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::pair<std::vector<call_outcome>, call_outcome>> {
        codex::client api{executor, cfg};
        auto posts = co_await run_concurrently(api, documents, [](std::size_t i) {
          codex::api_request request;
          request.method = codex::net::http_method::post;
          request.path = "/documents";
          request.body = R"({"title":"exactly-once-)" + std::to_string(i) + R"(","body":"b"})";
          request.idempotent = true;  // the SDK adds one Idempotency-Key and keeps it across attempts
          return request;
        });
        emulator.configure(R"({"faults":{"p_drop":0}})");
        auto list_request = codex::test::get("/documents");
        list_request.query = "limit=1000";
        auto list = co_await codex::test::call(api, std::move(list_request));
        co_return std::pair{std::move(posts), std::move(list)};
      },
      40s);

  INFO(first_failure(created));
  CHECK(failures(created) == 0);
  for (const auto& post : created) CHECK(post.status == 201);

  // The drops hit the POSTs, so some of them were sent more than once.
  const auto posts = emulator.journal_of("/v1/documents");
  const auto cut = std::count_if(posts.begin(), posts.end(), [](const auto& e) { return e.cut; });
  CHECK(cut > 0);
  CHECK(posts.size() > documents + 1);  // the resends, and the listing

  // Yet every title is stored exactly once.
  INFO(listing.error.describe());
  REQUIRE(listing.ok);
  std::map<std::string, int> titles;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(listing.body);
  auto document = parser.iterate(padded);
  for (auto item : document["data"].get_array()) {
    std::string_view title = item["title"].get_string();
    ++titles[std::string(title)];
  }
  CHECK(titles.size() == documents);
  for (std::size_t i = 0; i < documents; ++i) CHECK(titles["exactly-once-" + std::to_string(i)] == 1);
}

TEST_CASE("one client on an io_context run by 4 threads: 500 calls all succeed on one token", "[mt]") {
  live_emulator emulator;
  const auto& seed = emulator.seeded();
  constexpr std::size_t workers = 50, calls_each = 10;
  std::vector<std::vector<call_outcome>> per_worker(workers);
  codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<void> {
        codex::client api{executor,
                          codex::test::client_config(emulator, codex::test::client_credential(seed.client_id, seed.client_secret))};
        co_await codex::test::run_all(workers, [&](std::size_t w) -> asio::awaitable<void> {
          for (std::size_t i = 0; i < calls_each; ++i)
            per_worker[w].push_back(co_await codex::test::call(api, codex::test::get(i % 2 ? "/account" : "/documents")));
        });
      },
      120s, 4);

  std::vector<call_outcome> all;
  for (auto& outcomes : per_worker) all.insert(all.end(), outcomes.begin(), outcomes.end());
  REQUIRE(all.size() == workers * calls_each);
  INFO(first_failure(all));
  CHECK(failures(all) == 0);
  CHECK(emulator.counters(seed.client_id).tokens_issued == 1);
  CHECK(emulator.journal().size() == workers * calls_each + 1);
}
