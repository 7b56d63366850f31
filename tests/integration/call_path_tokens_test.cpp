// The call path's credentials end to end, over TLS on 127.0.0.1: single-flight token
// requests under a storm of callers, proactive refresh that nobody waits for, the one
// refresh-and-resend after a 401, the token a retry carries, and that no credential
// ever reaches a log line, a report or an error message.

#include "call_path_support.hpp"
#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>
#include <codex/error.hpp>

#include <asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using codex::errc;
using codex::emulator::request_context;
using codex::emulator::response_plan;
using codex::net::codec::server_request;
using codex::test::call_outcome;
using codex::test::live_emulator;
using codex::test::steady_clock;

codex::emulator::service_options token_ttl(std::chrono::seconds ttl) {
  codex::emulator::service_options options;
  options.token_ttl = ttl;
  return options;
}

/// `count` GET /account calls, all started at once on one client.
asio::awaitable<std::vector<call_outcome>> storm(codex::client& api, std::size_t count) {
  std::vector<call_outcome> outcomes(count);
  co_await codex::test::run_all(count, [&](std::size_t i) -> asio::awaitable<void> {
    outcomes[i] = co_await codex::test::call(api, codex::test::get("/account"));
  });
  co_return outcomes;
}

std::size_t successes(const std::vector<call_outcome>& outcomes) {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.ok; }));
}

std::size_t count_status(const std::vector<codex::test::journal_entry>& journal, int status) {
  return static_cast<std::size_t>(
      std::count_if(journal.begin(), journal.end(), [status](const auto& e) { return e.status == status; }));
}

std::string token_response(const std::string& token, int expires_in) {
  return R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
         R"(,"scope":"read write"})";
}

response_plan json_response(int status, std::string body) {
  response_plan plan;
  plan.status = status;
  plan.headers.add("Content-Type", "application/json");
  plan.body = std::move(body);
  return plan;
}

response_plan invalid_token() {
  auto plan = json_response(401, R"({"status":401,"error":"invalid_token","message":"The access token is not valid"})");
  plan.headers.add("WWW-Authenticate", R"(Bearer error="invalid_token")");
  return plan;
}

/// What a scripted server saw: the path and Authorization of every request.
class seen_requests {
 public:
  void add(const server_request& request) {
    std::lock_guard lock{mutex_};
    paths_.push_back(request.target);
    authorizations_.emplace_back(request.headers.find("Authorization").value_or(""));
  }
  std::size_t count(std::string_view path) const {
    std::lock_guard lock{mutex_};
    return static_cast<std::size_t>(std::count(paths_.begin(), paths_.end(), path));
  }
  /// The Authorization of each request to `path`, in arrival order.
  std::vector<std::string> authorizations_of(std::string_view path) const {
    std::lock_guard lock{mutex_};
    std::vector<std::string> out;
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      if (paths_[i] == path) out.push_back(authorizations_[i]);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> paths_;
  std::vector<std::string> authorizations_;
};

codex::config scripted_client(const codex::test::test_server& server, codex::credentials creds) {
  return codex::test::client_config(server.base_url() + "/v1", server.ca_file(), std::move(creds));
}

// ---- secrets -------------------------------------------------------------------------

/// Every text the SDK handed to the application in a run.
class collected_texts {
 public:
  void add_outcome(const call_outcome& outcome) {
    if (outcome.ok) return;
    texts_.push_back(outcome.error.describe());
    texts_.push_back(outcome.error.message);
    texts_.push_back(outcome.error.service_code);
    texts_.push_back(codex::error(outcome.error).what());
  }
  void add_observer(const codex::test::recording_observer& observer) {
    for (auto& line : observer.logs()) texts_.push_back(std::move(line));
    for (const auto& report : observer.calls()) {
      texts_.push_back(report.method + " " + report.path);
      texts_.push_back(report.error.message());
    }
  }
  const std::vector<std::string>& all() const noexcept { return texts_; }

 private:
  std::vector<std::string> texts_;
};

/// The credential part of an Authorization or X-API-Key value ("Bearer abc" → "abc").
std::string credential_part(const std::string& header_value) {
  const auto space = header_value.find(' ');
  return space == std::string::npos ? header_value : header_value.substr(space + 1);
}

void require_no_secret_in(const std::vector<std::string>& texts, const std::vector<std::string>& secrets) {
  for (std::size_t s = 0; s < secrets.size(); ++s) {
    REQUIRE(secrets[s].size() >= 8);  // a short "secret" would match by accident
    for (const auto& text : texts) {
      INFO("secret #" << s << " (length " << secrets[s].size() << ") found in: " << text);
      CHECK(text.find(secrets[s]) == std::string::npos);
    }
  }
}

/// A token obtained with the SDK itself, the way an application would before handing
/// it over as a fixed access token.
std::string fetch_token(const live_emulator& emulator) {
  codex::api_request request;
  request.method = codex::net::http_method::post;
  request.path = "/auth/token";
  request.body = R"({"client_id":")" + emulator.seeded().client_id + R"(","client_secret":")" +
                 emulator.seeded().client_secret + R"("})";
  const auto cfg = codex::test::client_config(emulator, codex::anonymous_credentials{});
  const auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<call_outcome> {
    codex::client anonymous{executor, cfg};
    co_return co_await codex::test::call(anonymous, std::move(request));
  });
  INFO(outcome.error.describe());
  REQUIRE(outcome.ok);
  return codex::test::json_text(outcome.body, "/access_token");
}

}  // namespace

TEST_CASE("256 callers with no token, then with an expired one: one token request each time", "[tokens]") {
  // TTL 3 s: the token lives long enough for the first storm not to reach its refresh
  // window, and short enough to wait out before the second.
  live_emulator emulator{token_ttl(3s)};
  const auto& seed = emulator.seeded();

  auto [before, after] = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::pair<std::vector<call_outcome>, std::vector<call_outcome>>> {
        codex::client api{executor, codex::test::client_config(emulator, codex::test::client_credential(
                                                                             seed.client_id, seed.client_secret))};
        auto first = co_await storm(api, 256);
        // The client's expiry is at most 90 % of 3 s after it asked for the token.
        const auto asked = emulator.journal_of("/v1/auth/token").at(0).arrived;
        co_await codex::test::sleep_for(asked + 3s - steady_clock::now());
        auto second = co_await storm(api, 256);
        co_return std::pair{std::move(first), std::move(second)};
      },
      40s);

  CHECK(successes(before) == 256);
  CHECK(successes(after) == 256);
  CHECK(emulator.counters(seed.client_id).tokens_issued == 2);
  CHECK(emulator.journal_of("/v1/auth/token").size() == 2);
  CHECK(count_status(emulator.journal_of("/v1/account"), 401) == 0);
}

TEST_CASE("client::try_access_token hands out the token the calls send: one fetch, shared, with its usable time", "[tokens]") {
  live_emulator emulator{token_ttl(60s)};
  const auto& seed = emulator.seeded();
  std::string handed, again;
  std::chrono::system_clock::time_point usable_until;
  codex::error_info with_key;
  codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<void> {
        const auto creds = codex::test::client_credential(seed.client_id, seed.client_secret);
        codex::client api{executor, codex::test::client_config(emulator, creds)};
        codex::client other{executor, codex::test::client_config(emulator, creds)};
        auto token = co_await api.try_access_token();
        REQUIRE(token);
        handed = token->value.reveal();
        usable_until = token->usable_until;
        auto account = co_await api.try_account();  // sends the same token
        REQUIRE(account);
        auto second = co_await other.try_access_token();  // another client, the same cache
        REQUIRE(second);
        again = second->value.reveal();
        codex::client keyed{executor, codex::test::client_config(emulator, codex::test::api_key(seed.api_key))};
        auto refused = co_await keyed.try_access_token();
        REQUIRE_FALSE(refused);
        with_key = refused.error();
      },
      20s);
  CHECK(emulator.journal_of("/v1/auth/token").size() == 1);
  const auto account_calls = emulator.journal_of("/v1/account");
  REQUIRE(account_calls.size() == 1);
  CHECK(account_calls[0].credential == "Bearer " + handed);
  CHECK(again == handed);
  // 60 s less the SDK's margin (at most 10 %), counted from the request.
  const auto left = usable_until - std::chrono::system_clock::now();
  CHECK(left > 50s);
  CHECK(left <= 60s);
  CHECK(with_key.code == errc::invalid_argument);
}

TEST_CASE("a failing token endpoint gives all 256 waiters the same typed error; after it recovers the next call succeeds",
          "[tokens]") {
  codex::emulator::service_options options;
  options.faults.token_fail = true;
  live_emulator emulator{options};
  const auto& seed = emulator.seeded();

  auto [failed, recovered] = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::pair<std::vector<call_outcome>, call_outcome>> {
        codex::client api{executor, codex::test::client_config(emulator, codex::test::client_credential(
                                                                             seed.client_id, seed.client_secret))};
        auto storm_outcomes = co_await storm(api, 256);
        emulator.configure(R"({"faults":{"token_fail":false}})");
        // The cache backs off after the failure (from 0.5 s): this call waits it out
        // inside its own deadline, then refreshes.
        auto next = co_await codex::test::call(api, codex::test::get("/account"));
        co_return std::pair{std::move(storm_outcomes), std::move(next)};
      },
      40s);

  REQUIRE(failed.size() == 256);
  const auto& first = failed.front();
  REQUIRE_FALSE(first.ok);
  CHECK(first.error.code == errc::token_unavailable);
  for (const auto& outcome : failed) {
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.code == first.error.code);
    CHECK(outcome.error.describe() == first.error.describe());
  }
  // One refresh failed for all of them — its three attempts (a token request is safe to
  // send again, so a 503 is retried within the fetch timeout); one more request
  // succeeded after the recovery.
  const auto token_requests = emulator.journal_of("/v1/auth/token");
  REQUIRE(token_requests.size() == 4);
  for (std::size_t i = 0; i < 3; ++i) CHECK(token_requests[i].status == 503);
  CHECK(token_requests[3].status == 200);
  INFO(recovered.error.describe());
  CHECK(recovered.ok);
  CHECK(emulator.counters(seed.client_id).tokens_issued == 1);
}

TEST_CASE("proactive refresh: steady traffic over several short token lifetimes sees no 401 and never waits for a token",
          "[tokens]") {
  constexpr auto token_delay = 400ms;
  codex::emulator::service_options options;
  // TTL 3 s, not 2: the emulator's `exp` is whole seconds after the *arrival* of the
  // token request, so a 2 s token may have only 0.6 s left once the 400 ms delay is
  // over — less than the next refresh needs, whatever the client does. A 3 s token
  // has 1.6–2.6 s left, that is 2–3 real lifetimes over the run.
  options.token_ttl = 3s;
  options.faults.token_delay = token_delay;
  live_emulator emulator{options};
  const auto& seed = emulator.seeded();

  auto observer = std::make_shared<codex::test::recording_observer>();
  auto cfg = codex::test::client_config(emulator, codex::test::client_credential(seed.client_id, seed.client_secret));
  cfg.observer = observer;
  // The refresh must be able to finish before the token expires: its window (half of a
  // lifetime of at least 1.6 s) exceeds the 400 ms the token endpoint takes. The
  // default 10 % suits hour-long tokens, not 3 s ones.
  cfg.token.refresh_fraction = 0.5;

  const auto outcomes = codex::test::run_coroutine(
      [&](auto executor) -> asio::awaitable<std::vector<call_outcome>> {
        codex::client api{executor, cfg};
        std::vector<call_outcome> results;
        const auto end = steady_clock::now() + 7s;
        while (steady_clock::now() < end) {
          results.push_back(co_await codex::test::call(api, codex::test::get("/account")));
          co_await codex::test::sleep_for(50ms);
        }
        co_return results;
      },
      40s);

  CHECK(successes(outcomes) == outcomes.size());
  const auto journal = emulator.journal();
  CHECK(count_status(journal, 401) == 0);
  // Tokens really did come and go during the run.
  CHECK(emulator.counters(seed.client_id).tokens_issued >= 4);

  const auto calls = observer->calls();
  REQUIRE(calls.size() == outcomes.size());
  REQUIRE(calls.size() > 50);
  // The very first call had no token and had to wait for one.
  CHECK(calls.front().token_wait >= token_delay);
  std::chrono::nanoseconds worst_wait{}, worst_latency{};
  for (std::size_t i = 1; i < calls.size(); ++i) {
    worst_wait = std::max(worst_wait, calls[i].token_wait);
    worst_latency = std::max(worst_latency, calls[i].latency);
  }
  INFO("worst token wait " << std::chrono::duration_cast<std::chrono::microseconds>(worst_wait).count()
                           << " us, worst latency "
                           << std::chrono::duration_cast<std::chrono::microseconds>(worst_latency).count() << " us");
  CHECK(worst_wait < token_delay / 8);
  CHECK(worst_latency < token_delay / 2);
}

TEST_CASE("a server that rejects every Bearer call: one refresh, one resend, then unauthenticated", "[tokens]") {
  seen_requests seen;
  std::atomic<int> tokens_handed_out{0};
  codex::test::test_server server{[&](server_request& request, const request_context&) {
    seen.add(request);
    if (request.target == "/v1/auth/token")
      return json_response(200, token_response("tok_" + std::to_string(++tokens_handed_out), 3600));
    return invalid_token();
  }};
  auto observer = std::make_shared<codex::test::recording_observer>();
  auto cfg = scripted_client(server, codex::test::client_credential("cid_scripted", "cs_scripted_secret_0123456789"));
  cfg.observer = observer;

  const auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<call_outcome> {
    codex::client api{executor, cfg};
    co_return co_await codex::test::call(api, codex::test::get("/account"));
  });

  REQUIRE_FALSE(outcome.ok);
  CHECK(outcome.error.code == errc::unauthenticated);
  CHECK(outcome.status == 401);
  CHECK(seen.count("/v1/auth/token") == 2);  // the first token, and the one refresh
  // The resend carried the refreshed token.
  CHECK(seen.authorizations_of("/v1/account") == std::vector<std::string>{"Bearer tok_1", "Bearer tok_2"});
  const auto calls = observer->calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].retries == std::vector<codex::retry_reason>{codex::retry_reason::token_rejected});
}

TEST_CASE("a retry after a 503 carries the current token, not the one the first attempt had", "[tokens]") {
  // Token A lives 1 s; the 503 asks for a 1 s pause, so A has expired in the client's
  // eyes when the retry is due: the retry must fetch and carry B.
  seen_requests seen;
  std::atomic<int> tokens_handed_out{0};
  std::atomic<int> account_calls{0};
  codex::test::test_server server{[&](server_request& request, const request_context&) {
    seen.add(request);
    if (request.target == "/v1/auth/token") {
      return ++tokens_handed_out == 1 ? json_response(200, token_response("tok_A", 1))
                                      : json_response(200, token_response("tok_B", 3600));
    }
    if (++account_calls == 1) {
      auto plan = json_response(503, R"({"status":503,"error":"unavailable","message":"try again"})");
      plan.headers.add("Retry-After", "1");
      return plan;
    }
    return json_response(200, R"({"ok":true})");
  }};

  const auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<call_outcome> {
    codex::client api{executor,
                      scripted_client(server, codex::test::client_credential("cid_scripted", "cs_scripted_secret_x1"))};
    co_return co_await codex::test::call(api, codex::test::get("/account"));
  });

  INFO(outcome.error.describe());
  CHECK(outcome.ok);
  CHECK(seen.authorizations_of("/v1/account") == std::vector<std::string>{"Bearer tok_A", "Bearer tok_B"});
}

TEST_CASE("no log line, report or error text carries an API key, a client secret or a token", "[tokens][secrets]") {
  live_emulator emulator;
  const auto seed = emulator.seeded();
  auto observer = std::make_shared<codex::test::recording_observer>();
  // Credential-shaped values the emulator does not know: their failures must not echo them.
  const std::string bad_key = "cdx_00112233445566778899aabbccddeeff00112233";
  const std::string wrong_secret = "cs_000000000000000000000000000000000000000000000000";

  auto run = [&](codex::credentials creds, std::vector<call_outcome>& into) {
    return [&, creds](auto executor) -> asio::awaitable<void> {
      auto cfg = codex::test::client_config(emulator, creds);
      cfg.observer = observer;
      codex::client api{executor, std::move(cfg)};
      into.push_back(co_await codex::test::call(api, codex::test::get("/account")));
      codex::api_request create;
      create.method = codex::net::http_method::post;
      create.path = "/documents";
      create.body = R"({"title":"secrets"})";
      create.idempotent = true;
      into.push_back(co_await codex::test::call(api, std::move(create)));
    };
  };

  // An expired fixed token: issued with a 1 s lifetime, used once that has passed.
  emulator.configure(R"({"token_ttl":1})");
  const auto expired_token = fetch_token(emulator);
  const auto issued_at = steady_clock::now();
  emulator.configure(R"({"token_ttl":3600})");
  const auto fixed_token = fetch_token(emulator);

  std::vector<call_outcome> good, bad;
  codex::test::run_coroutine(run(codex::test::api_key(seed.api_key), good));
  codex::test::run_coroutine(run(codex::test::api_key(seed.api_key, codex::api_key_scheme::header), good));
  codex::test::run_coroutine(run(codex::test::client_credential(seed.client_id, seed.client_secret), good));
  codex::test::run_coroutine(run(codex::test::access_token(fixed_token), good));
  codex::test::run_coroutine(run(codex::test::api_key(bad_key), bad));
  codex::test::run_coroutine(run(codex::test::api_key(bad_key, codex::api_key_scheme::header), bad));
  codex::test::run_coroutine(run(codex::test::client_credential(seed.client_id, wrong_secret), bad));
  std::this_thread::sleep_until(issued_at + 1100ms);
  codex::test::run_coroutine(run(codex::test::access_token(expired_token), bad));

  // The run did what it claims: every good call succeeded, every bad one failed for its
  // credential.
  for (const auto& outcome : good) {
    INFO(outcome.error.describe());
    CHECK(outcome.ok);
  }
  REQUIRE(bad.size() == 8);
  CHECK(bad[0].error.code == errc::unauthenticated);
  CHECK(bad[2].error.code == errc::unauthenticated);
  CHECK(bad[4].error.code == errc::credentials_rejected);
  CHECK(bad[6].error.code == errc::unauthenticated);
  CHECK(bad[6].error.message.find("expired") != std::string::npos);

  collected_texts texts;
  for (const auto& outcome : good) texts.add_outcome(outcome);
  for (const auto& outcome : bad) texts.add_outcome(outcome);
  texts.add_observer(*observer);
  REQUIRE(observer->calls().size() == 16);
  // The rejected client secret and the refused tokens are logged: the scrubber is
  // exercised, not just an empty log.
  REQUIRE_FALSE(observer->logs().empty());

  std::vector<std::string> secrets{seed.api_key, seed.client_secret, bad_key, wrong_secret, fixed_token, expired_token};
  // Whatever went on the wire as a credential — Basic encodings of the keys, the tokens
  // the SDK fetched for itself — counts as a secret too.
  for (const auto& entry : emulator.journal()) {
    if (!entry.credential.empty()) secrets.push_back(credential_part(entry.credential));
  }
  std::sort(secrets.begin(), secrets.end());
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  CHECK(secrets.size() >= 9);  // the six above, two Basic encodings, the SDK's own token
  require_no_secret_in(texts.all(), secrets);
}

TEST_CASE("a server that echoes the credentials in its error messages does not leak them through the SDK",
          "[tokens][secrets]") {
  // A careless server (or proxy) quoting what it received: the SDK's scrubber must
  // remove every credential before the message reaches the application.
  const std::string key = "cdx_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
  const std::string client_secret = "cs_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
  const std::string token =
      "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjaWRfZWNobyIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLXBhcnQ";
  std::vector<std::string> wire_credentials;
  std::mutex wire_mutex;
  codex::test::test_server server{[&](server_request& request, const request_context&) {
    std::string echoed = "rejected";
    for (const auto& [name, value] : request.headers) {
      if (name == "Authorization" || name == "X-API-Key") {
        echoed += " " + std::string(name) + ": " + std::string(value) + " (raw " + std::string(value) + ")";
        std::lock_guard lock{wire_mutex};
        wire_credentials.push_back(credential_part(std::string(value)));
      }
    }
    if (request.target == "/v1/auth/token") {
      if (request.body.find("client_secret") != std::string::npos && request.body.find(client_secret) != std::string::npos)
        return json_response(200, token_response(token, 3600));
      echoed += " body " + request.body;
    }
    // JSON-escape nothing: the echoed values contain no quotes or backslashes.
    return json_response(400, R"({"status":400,"error":"bad_request","message":")" + echoed + R"("})");
  }};

  auto observer = std::make_shared<codex::test::recording_observer>();
  std::vector<call_outcome> outcomes;
  for (auto creds : {codex::test::api_key(key), codex::test::api_key(key, codex::api_key_scheme::header),
                     codex::test::access_token(token), codex::test::client_credential("cid_echo", client_secret)}) {
    auto cfg = scripted_client(server, creds);
    cfg.observer = observer;
    outcomes.push_back(codex::test::run_coroutine([&](auto executor) -> asio::awaitable<call_outcome> {
      codex::client api{executor, cfg};
      co_return co_await codex::test::call(api, codex::test::get("/account"));
    }));
  }

  collected_texts texts;
  for (const auto& outcome : outcomes) {
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.code == errc::bad_request);
    CHECK(outcome.error.message.find("rejected") != std::string::npos);  // the message itself survives
    texts.add_outcome(outcome);
  }
  texts.add_observer(*observer);
  std::vector<std::string> secrets{key, client_secret, token};
  {
    std::lock_guard lock{wire_mutex};
    CHECK(wire_credentials.size() >= 4);  // the server really had credentials to echo
    secrets.insert(secrets.end(), wire_credentials.begin(), wire_credentials.end());
  }
  require_no_secret_in(texts.all(), secrets);
}

// ---- header injection ----------------------------------------------------------------

TEST_CASE("a token, key or header holding CR LF is never sent: the call fails typed and the server sees no extra header",
          "[tokens][injection]") {
  // A token endpoint that hands out a token with a line break would otherwise add a
  // header of its choosing to every Bearer request.
  const std::string injected_token = R"(eyJinjected.secret\r\nX-Injected: 1)";  // JSON-escaped
  const std::string raw_token = "eyJinjected.secret\r\nX-Injected: 1";
  seen_requests seen;
  std::atomic<int> injected_headers{0};
  codex::test::test_server server{[&](server_request& request, const request_context&) {
    seen.add(request);
    if (request.headers.contains("X-Injected")) ++injected_headers;
    if (request.target == "/v1/auth/token") return json_response(200, token_response(injected_token, 3600));
    return json_response(200, R"({"ok":true})");
  }};
  auto observer = std::make_shared<codex::test::recording_observer>();
  auto call_account = [&](codex::credentials creds, codex::net::header_list headers = {}) {
    auto cfg = scripted_client(server, std::move(creds));
    cfg.observer = observer;
    return codex::test::run_coroutine([&](auto executor) -> asio::awaitable<call_outcome> {
      codex::client api{executor, cfg};
      auto request = codex::test::get("/account");
      request.headers = headers;
      co_return co_await codex::test::call(api, std::move(request));
    });
  };
  collected_texts texts;

  SECTION("from the token endpoint: refused when decoded, so never cached nor sent") {
    const auto outcome = call_account(codex::test::client_credential("cid_scripted", "cs_scripted_secret_0123456789"));
    CHECK(injected_headers == 0);
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.code == errc::token_unavailable);
    CHECK(outcome.error.message.find("access_token is malformed") != std::string::npos);
    CHECK(seen.count("/v1/auth/token") == 1);
    CHECK(seen.count("/v1/account") == 0);
    texts.add_outcome(outcome);
  }
  SECTION("a fixed access token or an API key (either scheme): the client refuses it") {
    for (auto creds : {codex::test::access_token(raw_token), codex::test::api_key("cdx_0123456789\r\nX-Injected: 1"),
                       codex::test::api_key("cdx_0123456789\r\nX-Injected: 1", codex::api_key_scheme::header),
                       codex::test::api_key(std::string("cdx_0123456789\0X-Injected: 1", 28))}) {
      try {
        (void)call_account(creds);
        CHECK(injected_headers == 0);
        FAIL("the client accepted a credential with a control character");
      } catch (const codex::error& e) {
        CHECK(e.code() == errc::invalid_argument);
        texts.add_outcome({.finished = true, .error = e.info()});
      }
    }
  }
  SECTION("a header of the caller's: the codec refuses it before any byte is sent") {
    codex::net::header_list headers;
    headers.add("If-Match", "1\r\nX-Injected: 1");
    const auto outcome = call_account(codex::test::api_key("cdx_0123456789abcdef0123456789abcdef01234567"), headers);
    CHECK(injected_headers == 0);
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.code == errc::invalid_argument);
    CHECK(outcome.error.message.find("If-Match") != std::string::npos);
    CHECK(server.stats().requests == 0);
    texts.add_outcome(outcome);
  }

  CHECK(injected_headers == 0);
  texts.add_observer(*observer);
  require_no_secret_in(texts.all(), {"eyJinjected", "cdx_0123456789", "X-Injected"});
}
