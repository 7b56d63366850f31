// The fault matrix (issue 18): a GET, a POST with an Idempotency-Key, a batch and a
// call that must first fetch a token — and a POST without a key, which may not be
// replayed — each failed at every step the emulator's server performs for it: accept,
// handshake, each read, each write, and one step past the last (the clean exchange),
// with each of close, reset, stall and truncate. The two POSTs also run on a kept-alive
// connection (after a GET), where a failure before the response may be the stale
// connection race. The knob is armed through the emulator's own control API
// (faults.fail_step). The batch's request and the GET's response span several TLS
// records, so that a cut can fall inside a body.
//
// Each case must end within the call's deadline (a hang fails it); it must succeed when
// the call is replay-safe (the fault strikes once, the retry goes through) or when the
// fault came before any byte of it could reach the server (accept, handshake) — unless
// the case is in known_failures; any other outcome is a typed transport error; and no
// case may store more documents than it asked for (one per Idempotency-Key, one per
// batch item).

#include "call_path_support.hpp"
#include "run_coroutine.hpp"

#include <codex/client.hpp>
#include <codex/net/transport.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using codex::emulator::step_action;
using codex::emulator::step_fault;
using codex::emulator::step_kind;
using codex::test::live_emulator;
using steady = std::chrono::steady_clock;

// A stalled attempt (or token fetch) is given up after this; the retry then succeeds.
constexpr auto attempt_timeout = 400ms;
constexpr auto call_timeout = 3s;
// A call not back by its deadline plus this is a hang (guarded, not a timing check).
constexpr auto hang_slack = 3s;
// No exchange here has more steps than this; reaching it means the loop never ends.
constexpr std::uint64_t max_steps = 40;
constexpr std::size_t batch_items = 3;
// Bodies past one TLS record (16 KiB): the batch's request and the GET's response.
constexpr std::size_t large_body = 12u << 10;

enum class call_kind { get, post, batch, token, post_reused, unkeyed_post, unkeyed_post_reused };
constexpr std::array all_kinds{call_kind::get,          call_kind::post,        call_kind::batch,
                               call_kind::token,        call_kind::post_reused, call_kind::unkeyed_post,
                               call_kind::unkeyed_post_reused};
constexpr std::array all_actions{step_action::close, step_action::reset, step_action::stall, step_action::truncate};

const char* name_of(call_kind kind) {
  switch (kind) {
    case call_kind::get: return "get";
    case call_kind::post: return "post";
    case call_kind::batch: return "batch";
    case call_kind::token: return "token";
    case call_kind::post_reused: return "post_reused";
    case call_kind::unkeyed_post: return "unkeyed_post";
    case call_kind::unkeyed_post_reused: return "unkeyed_post_reused";
  }
  return "?";
}

bool replay_safe(call_kind kind) {
  return kind != call_kind::unkeyed_post && kind != call_kind::unkeyed_post_reused;
}

// The *_reused kinds: a GET first, so that the POST goes on the kept-alive connection.
bool reuses(call_kind kind) { return kind == call_kind::post_reused || kind == call_kind::unkeyed_post_reused; }

// Cases that end in a typed error where they should succeed, for a reason reported
// rather than fixed here; named "kind/action@n". Each must still fail, with the typed
// error said, within its deadline (a case that starts to pass fails the test, so that
// the list stays exact).
//
// None now. The matrix found two, both fixed: a token fetch that lost its connection
// failed every call waiting for it (the fetch is now retried within its timeout: a token
// request is safe to send again), and a POST without an idempotency key whose TLS
// handshake stalled was not retried though none of its bytes was sent (a failure before
// the request's first byte is now retried whatever the request).
const std::map<std::string, codex::errc> known_failures = {};

struct case_outcome {
  bool ok = false;
  codex::error_info error;
  steady::duration elapsed{};
  std::size_t documents_added = 0;
  std::size_t documents_expected = 0;  // when ok
  bool fired = false;
  step_kind failed_step{};
  std::vector<step_kind> steps;
};

template <class T>
void take(case_outcome& out, codex::result<T> result) {
  out.ok = result.has_value();
  if (!out.ok) out.error = std::move(result).error();
}

// One call of `kind` on a fresh client (fresh pool; for the token call a fresh client
// credential too: token caches are shared per credential in the process).
asio::awaitable<void> perform(codex::client& api, call_kind kind, const std::string& doc_id, case_outcome& out) {
  if (reuses(kind)) {
    auto warm_up = co_await api.documents().try_get(doc_id);
    INFO("warm-up GET: " << (warm_up ? "ok" : warm_up.error().describe()));
    CHECK(warm_up);  // a GET is replay-safe: it survives the fault
    kind = kind == call_kind::post_reused ? call_kind::post : call_kind::unkeyed_post;
  }
  switch (kind) {
    case call_kind::get: {
      auto doc = co_await api.documents().try_get(doc_id);
      if (doc && doc->id != doc_id) FAIL("GET returned another document: " << doc->id);
      take(out, std::move(doc));
      break;
    }
    case call_kind::post: {
      // A named input, not a braced temporary inside co_await: g++ 12 destroys such a
      // temporary twice.
      codex::document_input input{.title = "matrix post"};
      take(out, co_await api.documents().try_create(std::move(input)));
      out.documents_expected = 1;
      break;
    }
    case call_kind::batch: {
      std::vector<codex::document_input> items(
          batch_items, codex::document_input{.title = "matrix batch item", .body = std::string(large_body, 'b')});
      auto result = co_await api.documents().try_batch_create(items);
      if (result) CHECK(result->succeeded == batch_items);
      take(out, std::move(result));
      out.documents_expected = batch_items;
      break;
    }
    case call_kind::token:
      take(out, co_await api.try_account());
      break;
    case call_kind::post_reused:
    case call_kind::unkeyed_post_reused:
      break;  // made plain above
    case call_kind::unkeyed_post: {
      codex::api_request request;
      request.method = codex::net::http_method::post;
      request.path = "/documents";
      request.body = R"({"title":"matrix unkeyed post"})";
      take(out, co_await api.execute(std::move(request)));
      out.documents_expected = 1;
      break;
    }
  }
}

// The client is gone; its connections end on the server's side a moment later (a
// stalled one when it sees the client's FIN), and only then has every step of the case
// been counted. False if some connection is still open after a generous while.
template <class Stats>
bool all_closed(Stats stats) {
  const auto limit = steady::now() + 5s;
  while (stats().open_connections > 0 && steady::now() < limit) std::this_thread::sleep_for(1ms);
  return stats().open_connections == 0;
}

class matrix {
 public:
  matrix() : emulator_(emulator_options()) {
    const auto cfg = config(codex::test::api_key(emulator_.seeded().api_key));
    auto doc = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<codex::result<codex::document>> {
      codex::client api{executor, cfg};
      codex::document_input input{.title = "matrix target", .body = std::string(large_body * 2, 'g')};
      co_return co_await api.documents().try_create(std::move(input));
    });
    REQUIRE(doc);
    doc_id_ = doc->id;
  }

  case_outcome run(call_kind kind, step_fault fault) {
    const auto creds = kind == call_kind::token ? client_credential() : codex::test::api_key(emulator_.seeded().api_key);
    const auto cfg = config(creds);
    const std::size_t documents_before = emulator_.documents();
    emulator_.configure(R"({"faults":{"fail_step":{"n":)" + std::to_string(fault.n) + R"(,"action":")" +
                        std::string(codex::emulator::to_string(fault.action)) + R"("}}})");
    case_outcome out;
    const auto started = steady::now();
    codex::test::run_coroutine(
        [&](auto executor) -> asio::awaitable<void> {
          codex::client api{executor, cfg};
          co_await perform(api, kind, doc_id_, out);
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(call_timeout + hang_slack));
    out.elapsed = steady::now() - started;
    settle();
    out.documents_added = emulator_.documents() - documents_before;
    const auto steps = emulator_.steps();
    REQUIRE(steps);
    out.fired = steps->fired();
    out.steps = steps->log();
    if (out.fired && fault.n <= out.steps.size()) out.failed_step = out.steps[fault.n - 1];
    return out;
  }

 private:
  static codex::emulator::service_options emulator_options() {
    codex::emulator::service_options options;
    options.rate_limit.limit = 1'000'000;  // hundreds of calls on one key, in seconds
    return options;
  }

  codex::config config(codex::credentials creds) const {
    auto cfg = codex::test::client_config(emulator_, std::move(creds));
    cfg.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(call_timeout);
    cfg.attempt_timeout = attempt_timeout;
    cfg.token_fetch_timeout = attempt_timeout;
    cfg.retry.backoff = {.initial = 5ms, .max = 20ms};
    cfg.token.failure_backoff_initial = 10ms;
    return cfg;
  }

  codex::credentials client_credential() {
    const auto client = emulator_.create_client();
    return codex::test::client_credential(client.id, client.secret);
  }

  void settle() const {
    REQUIRE(all_closed([this] { return emulator_.server_stats(); }));
  }

  live_emulator emulator_;
  std::string doc_id_;
};

std::string steps_text(const std::vector<step_kind>& steps) {
  std::string text;
  for (const auto kind : steps) {
    if (!text.empty()) text += ' ';
    text += codex::emulator::to_string(kind);
  }
  return text;
}

bool typed_transport_error(const std::error_code& code) {
  using codex::errc;
  if (code.category() != codex::category()) return false;
  switch (static_cast<errc>(code.value())) {
    case errc::connection_closed:
    case errc::connection_reset:
    case errc::timeout:
    case errc::tls_handshake_failed:
    case errc::connect_failed:
    case errc::token_unavailable:
    case errc::deadline_too_short:
      return true;
    default:
      return false;
  }
}

void check_case(call_kind kind, step_fault fault, const case_outcome& out) {
  const std::string name = std::string(name_of(kind)) + "/" + std::string(codex::emulator::to_string(fault.action)) +
                           "@" + std::to_string(fault.n);
  INFO(name << " (failed step: " << (out.fired ? codex::emulator::to_string(out.failed_step) : "none")
            << "; steps: " << steps_text(out.steps) << ")");
  INFO("error: " << out.error.describe());
  CHECK(out.elapsed < call_timeout + hang_slack);
  CHECK(out.documents_added <= out.documents_expected);
  const auto known = known_failures.find(name);
  if (out.ok) {
    CHECK(out.documents_added == out.documents_expected);
    CHECK(known == known_failures.end());  // it passes now: take it off the list
    return;
  }
  CHECK(typed_transport_error(out.error.code));
  CHECK(out.elapsed < call_timeout + 1s);  // ended by its own deadline, not by the guard
  if (known != known_failures.end()) {
    CHECK(out.error.code == known->second);
    return;
  }
  const bool before_any_byte = out.failed_step == step_kind::accept || out.failed_step == step_kind::handshake;
  CHECK_FALSE(replay_safe(kind));
  CHECK_FALSE(before_any_byte);
}

}  // namespace

TEST_CASE("fault matrix: every step of each call fails with close, reset, stall, truncate", "[faults]") {
  matrix cases;
  std::map<std::string, std::map<std::string, int>> tally;  // "kind/action" -> outcome -> cases
  std::map<call_kind, std::vector<step_kind>> clean;
  int total = 0;
  const auto started = steady::now();
  for (const auto kind : all_kinds) {
    for (const auto action : all_actions) {
      for (std::uint64_t n = 1;; ++n) {
        REQUIRE(n <= max_steps);
        const step_fault fault{.n = n, .action = action};
        const case_outcome out = cases.run(kind, fault);
        check_case(kind, fault, out);
        ++total;
        auto& row = tally[std::string(name_of(kind)) + "/" + std::string(codex::emulator::to_string(action))];
        ++row[out.ok ? "ok" : out.error.code.message()];
        if (!out.fired) {  // one step past the last: the clean exchange
          clean[kind] = out.steps;
          break;
        }
      }
    }
  }
  std::ostringstream report;
  report << "fault matrix: " << total << " cases in "
         << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count() << " ms\n";
  for (const auto& [kind, steps] : clean) {
    report << "  " << name_of(kind) << ": " << steps.size() << " steps (" << steps_text(steps) << ")\n";
  }
  for (const auto& [row, outcomes] : tally) {
    report << "  " << row << ":";
    for (const auto& [outcome, count] : outcomes) report << " " << outcome << " x" << count;
    report << "\n";
  }
  std::cout << report.str();
}

namespace {

struct single_exchange {
  step_fault fault;
  std::vector<codex::errc> errors;  // any of these; empty: the exchange succeeds
};

// One GET on a fresh transport (no retry above it): the error each action leaves.
std::optional<codex::errc> exchange_once(const codex::test::test_server& server) {
  auto response = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<codex::result<codex::net::http_response>> {
    codex::net::transport_options options;
    options.tls.ca_file = server.ca_file();
    codex::net::transport transport{executor, codex::net::url::parse(server.base_url()).value(), options};
    codex::net::http_request request;
    request.target = "/x";
    co_return co_await transport.send(std::move(request), steady::now() + attempt_timeout);
  });
  if (response) return std::nullopt;
  return static_cast<codex::errc>(response.code().value());
}

}  // namespace

TEST_CASE("test_server::fail_step: what each action does to one exchange", "[faults]") {
  using codex::errc;
  codex::test::test_server server;
  server.fail_step({});  // count only
  REQUIRE_FALSE(exchange_once(server));
  REQUIRE(all_closed([&] { return server.stats(); }));
  REQUIRE(server.steps());
  CHECK(steps_text(server.steps()->log()) == "accept handshake read write read");

  // An RST right at accept may reach the client before its connect() has completed
  // (connect_failed) or during its handshake (tls_handshake_failed): both say that
  // nothing was sent.
  const std::vector<errc> unsent{errc::tls_handshake_failed, errc::connect_failed};
  const std::vector<single_exchange> cases = {
      {{1, step_action::close}, unsent},  {{1, step_action::reset}, unsent},
      {{1, step_action::stall}, {errc::timeout}},
      {{2, step_action::close}, unsent},  {{2, step_action::truncate}, unsent},
      {{3, step_action::close}, {errc::connection_closed}},  {{3, step_action::reset}, {errc::connection_reset}},
      {{3, step_action::stall}, {errc::timeout}},            {{3, step_action::truncate}, {errc::connection_closed}},
      {{4, step_action::close}, {errc::connection_closed}},  {{4, step_action::reset}, {errc::connection_reset}},
      {{4, step_action::stall}, {errc::timeout}},            {{4, step_action::truncate}, {errc::connection_closed}},
      {{5, step_action::reset}, {}},                         {{6, step_action::close}, {}},
  };
  for (const auto& c : cases) {
    INFO(codex::emulator::to_string(c.fault.action) << " at step " << c.fault.n);
    server.fail_step(c.fault);
    const auto error = exchange_once(server);
    INFO("got: " << (error ? codex::make_error_code(*error).message() : "success"));
    if (c.errors.empty()) {
      CHECK_FALSE(error);
    } else {
      CHECK((error && std::find(c.errors.begin(), c.errors.end(), *error) != c.errors.end()));
    }
    REQUIRE(all_closed([&] { return server.stats(); }));
    CHECK(server.steps()->fired() == (c.fault.n <= 5));
  }
}
