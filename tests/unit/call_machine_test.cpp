// codex::call::call_machine: the sequence of a call, one rule a case, with no socket
// and no clock — each test plays the driver: it performs nothing, only feeds the
// machine what happened (and when) and checks what it asks for next.

#include "call/call_machine.hpp"

#include <codex/error.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using codex::errc;
using codex::call::action;
using codex::call::call_machine;
using codex::call::call_plan;
using steady = codex::call::clock;
using codex::call::step;

namespace {

const steady::time_point t0 = steady::time_point(std::chrono::hours(1000));
// Wednesday 2 December 2026, 10:00:00 UTC.
const std::chrono::system_clock::time_point wall0 =
    std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + std::chrono::hours(10);

std::uint64_t no_jitter() { return 0; }
std::uint64_t full_jitter() { return ~std::uint64_t{0}; }

codex::net::http_response response(int status, std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
  codex::net::http_response r;
  r.status = status;
  for (const auto& [name, value] : headers) r.headers.add(name, value);
  r.body = "{}";
  return r;
}

codex::limit::slot slot_at(steady::time_point t) { return codex::limit::slot{.ready_at = t, .use_by = t + 5ms}; }

codex::call::token_ptr token(const char* text) { return std::make_shared<const codex::auth::secret>(text); }

/// One call's machine with a plan that tests adjust before start().
struct call {
  codex::retry::retry_options retry{};
  call_plan plan{.deadline = t0 + 30s, .attempt_timeout = 20s, .replay_safe = true, .retry = &retry,
                 .random_bits = &no_jitter};
  std::unique_ptr<call_machine> machine;

  action start(steady::time_point now = t0) {
    codex::call_report report;
    report.method = "GET";
    report.path = "/documents/doc_1";
    machine = std::make_unique<call_machine>(plan, std::move(report));
    return machine->resume(codex::call::started{now});
  }
  action slot(steady::time_point ready, steady::time_point now) {
    return machine->resume(codex::call::slot_ready{slot_at(ready), now});
  }
  action answer(codex::call::attempt_result r, steady::time_point now, bool written = true) {
    return machine->resume(codex::call::response_ready{std::move(r), now, wall0 + (now - t0), written});
  }
  action woke(steady::time_point now, bool cancelled = false) {
    return machine->resume(codex::call::woken{cancelled, now});
  }
  /// From a start or a woken backoff: slot ready at once, sent, answered `r` 10 ms later.
  action attempt(codex::call::attempt_result r, steady::time_point now) {
    REQUIRE(slot(now, now).next == step::send);
    return answer(std::move(r), now + 10ms);
  }
  codex::call::call_outcome outcome() { return machine->take_outcome(); }
  codex::call_report& report() { return machine->report(); }
};

bool no_effects(const action& a) {
  return !a.release_slot && !a.invalidate_token && !a.push_limiter_until && !a.pace && a.logs.empty();
}

}  // namespace

TEST_CASE("call machine: success at the first attempt — slot, send, done, no effects", "[call_machine]") {
  call c;
  const auto first = c.start();
  CHECK(first.next == step::get_slot);
  CHECK(first.until == t0 + 30s);  // no slot later than the deadline
  const auto send = c.slot(t0, t0);
  CHECK(send.next == step::send);
  CHECK(send.until == t0 + 20s);  // the attempt timeout, shorter than the deadline
  CHECK(no_effects(send));
  const auto done = c.answer(response(200), t0 + 5ms);
  CHECK(done.next == step::done);
  CHECK(no_effects(done));
  auto outcome = c.outcome();
  REQUIRE(outcome.response);
  CHECK(outcome.response->status == 200);
  CHECK(c.report().attempts == 1);
  CHECK(c.report().retries.empty());
  CHECK(c.report().limiter_wait == 0ns);
}

TEST_CASE("call machine: a slot in the future is waited for; one left too long is retaken", "[call_machine][limiter]") {
  call c;
  c.start();
  const auto wait = c.slot(t0 + 100ms, t0);
  CHECK(wait.next == step::wait);
  CHECK(wait.until == t0 + 100ms);
  SECTION("woken on time: sent, the wait in the report") {
    CHECK(c.woke(t0 + 101ms).next == step::send);
    CHECK(c.report().limiter_wait == 101ms);
  }
  SECTION("woken past use_by: the slot stays spent (not given back), a fresh one is asked for") {
    const auto again = c.woke(t0 + 200ms);
    CHECK(again.next == step::get_slot);
    CHECK_FALSE(again.release_slot);
    CHECK(c.report().stale_slots == 1);
    CHECK(c.slot(t0 + 200ms, t0 + 200ms).next == step::send);
    CHECK(c.report().limiter_wait == 200ms);  // counted from the first ask
  }
  SECTION("cancelled in the wait: the slot is given back and the call ends cancelled") {
    const auto done = c.woke(t0 + 50ms, true);
    CHECK(done.next == step::done);
    CHECK(done.release_slot);
    CHECK(c.outcome().response.code() == errc::cancelled);
    CHECK(c.report().attempts == 0);
  }
}

TEST_CASE("call machine: a slot after the deadline is given back and fails at once", "[call_machine][limiter][deadline]") {
  call c;
  c.start();
  const auto done = c.slot(t0 + 31s, t0);
  CHECK(done.next == step::done);
  CHECK(done.release_slot);
  CHECK(c.outcome().response.code() == errc::deadline_too_short);
}

TEST_CASE("call machine: the limiter's own refusal is the call's error, its Retry-After kept", "[call_machine][limiter]") {
  call c;
  c.start();
  const codex::error_info refused{.code = make_error_code(errc::deadline_too_short),
                                  .message = "the rate limiter's next slot comes after the call's deadline",
                                  .retry_after = 45s};
  const auto done = c.machine->resume(codex::call::slot_ready{refused, t0});
  CHECK(done.next == step::done);
  CHECK_FALSE(done.release_slot);  // no slot was taken
  const auto outcome = c.outcome();
  CHECK(outcome.response.code() == errc::deadline_too_short);
  CHECK(outcome.response.error().retry_after == 45s);
}

TEST_CASE("call machine: a 401 on a Bearer token invalidates that token, refreshes once, resends once", "[call_machine][token]") {
  call c;
  c.plan.refreshable_token = true;
  const auto first = c.start();
  CHECK(first.next == step::get_token);
  CHECK(first.until == t0 + 30s);
  const auto old_token = token("old-token");
  CHECK(c.machine->resume(codex::call::token_ready{old_token, t0 + 2ms}).next == step::get_slot);
  CHECK(c.report().token_wait == 2ms);
  const auto refresh = c.attempt(response(401), t0 + 2ms);
  CHECK(refresh.next == step::get_token);
  CHECK(refresh.invalidate_token);
  CHECK(c.machine->token() == old_token);  // the token the 401 answered, not whichever is current
  REQUIRE(c.report().retries.size() == 1);
  CHECK(c.report().retries[0] == codex::retry_reason::token_rejected);
  REQUIRE(refresh.logs.size() == 1);
  CHECK_THAT(refresh.logs[0].text, Catch::Contains("refreshing"));

  const auto new_token = token("new-token");
  CHECK(c.machine->resume(codex::call::token_ready{new_token, t0 + 50ms}).next == step::get_slot);
  CHECK(c.machine->token() == new_token);
  SECTION("a second 401 is final: the caller's unauthenticated") {
    const auto done = c.attempt(response(401), t0 + 50ms);
    CHECK(done.next == step::done);
    CHECK_FALSE(done.invalidate_token);
    const auto outcome = c.outcome();
    REQUIRE(outcome.response);
    CHECK(outcome.response->status == 401);
    CHECK(c.report().attempts == 2);
  }
  SECTION("the resend succeeds") {
    CHECK(c.attempt(response(200), t0 + 50ms).next == step::done);
    CHECK(c.outcome().response->status == 200);
  }
}

TEST_CASE("call machine: a 401 with an API key (fixed credential) is final at once", "[call_machine][token]") {
  call c;
  CHECK(c.start().next == step::get_slot);  // no token to get
  const auto done = c.attempt(response(401), t0);
  CHECK(done.next == step::done);
  CHECK_FALSE(done.invalidate_token);
  CHECK(c.outcome().response->status == 401);
  CHECK(c.report().attempts == 1);
}

TEST_CASE("call machine: no access token ends the call with the token's error, logged", "[call_machine][token]") {
  call c;
  c.plan.refreshable_token = true;
  c.start();
  const codex::error_info rejected{.code = make_error_code(errc::credentials_rejected),
                                   .message = "the token endpoint rejected the client credentials"};
  const auto done = c.machine->resume(codex::call::token_ready{rejected, t0 + 1ms});
  CHECK(done.next == step::done);
  REQUIRE(done.logs.size() == 1);
  CHECK(done.logs[0].level == codex::log_level::warning);
  CHECK(c.outcome().response.code() == errc::credentials_rejected);
}

TEST_CASE("call machine: 403, 404 and 400 are never retried", "[call_machine][retry]") {
  for (const int status : {400, 403, 404, 409, 422}) {
    call c;
    c.start();
    CAPTURE(status);
    CHECK(c.attempt(response(status), t0).next == step::done);
    CHECK(c.outcome().response->status == status);
    CHECK(c.report().retries.empty());
  }
}

TEST_CASE("call machine: a 429's Retry-After pushes the key's limiter and delays the retry", "[call_machine][retry][retry_after]") {
  call c;
  SECTION("as delta seconds, with jitter after the named time") {
    c.plan.random_bits = &full_jitter;
    c.start();
    const auto wait = c.attempt(response(429, {{"Retry-After", "2"}, {"X-Request-Id", "req_1"}}), t0);
    CHECK(wait.next == step::wait);
    REQUIRE(wait.push_limiter_until);
    CHECK(*wait.push_limiter_until == t0 + 10ms + 2s);
    CHECK(wait.until == t0 + 10ms + 2s + 250ms);  // all of retry_after_jitter with these bits
    REQUIRE(wait.logs.size() == 1);
    CHECK_THAT(wait.logs[0].text, Catch::Contains("GET /documents/doc_1: HTTP 429, retrying in 2250 ms (Retry-After)"));
    REQUIRE(c.report().retries.size() == 1);
    CHECK(c.report().retries[0] == codex::retry_reason::rate_limited);
    CHECK(c.woke(wait.until).next == step::get_slot);  // a new attempt takes its own slot
  }
  SECTION("as an HTTP-date") {
    c.start();
    const auto wait = c.attempt(response(429, {{"Retry-After", "Wed, 02 Dec 2026 10:00:03 GMT"}}), t0);
    REQUIRE(wait.push_limiter_until);
    CHECK(*wait.push_limiter_until == t0 + 10ms + 2990ms);  // the answer came 10 ms after wall0
    CHECK(wait.until == t0 + 3s);
  }
  SECTION("garbage: no push; backoff instead") {
    c.start();
    const auto wait = c.attempt(response(429, {{"Retry-After", "soon"}}), t0);
    CHECK_FALSE(wait.push_limiter_until);
    CHECK(wait.next == step::wait);
  }
}

TEST_CASE("call machine: a Retry-After past the deadline fails at once, keeping the wait and the request id",
          "[call_machine][retry][deadline]") {
  call c;
  c.start();
  const auto done = c.attempt(response(429, {{"Retry-After", "100"}, {"X-Request-Id", "req_9"}}), t0);
  CHECK(done.next == step::done);
  REQUIRE(done.push_limiter_until);  // still pushed: the other calls of the key must wait too
  const auto outcome = c.outcome();
  REQUIRE_FALSE(outcome.response);
  CHECK(outcome.response.code() == errc::deadline_too_short);
  CHECK(outcome.response.error().retry_after == 100s);
  CHECK(outcome.response.error().request_id == "req_9");
  CHECK(outcome.response.error().http_status == 429);
}

TEST_CASE("call machine: 408, 5xx and transport failures are retried until max_attempts", "[call_machine][retry]") {
  call c;
  c.start();
  steady::time_point now = t0;
  const codex::call::attempt_result failures[] = {response(503), response(408),
                                                  codex::error_info{.code = make_error_code(errc::connection_reset)}};
  for (const auto& failure : failures) {
    const auto wait = c.attempt(failure, now);
    REQUIRE(wait.next == step::wait);
    now = wait.until;
    REQUIRE(c.woke(now).next == step::get_slot);
  }
  const auto done = c.attempt(response(502), now);
  CHECK(done.next == step::done);
  REQUIRE(done.logs.size() == 1);
  CHECK_THAT(done.logs[0].text, Catch::Contains("giving up after 4 attempts (attempts_exhausted)"));
  CHECK(c.outcome().response->status == 502);
  CHECK(c.report().attempts == 4);
  CHECK(c.report().retries == std::vector<codex::retry_reason>{codex::retry_reason::server_error,
                                                               codex::retry_reason::request_timeout,
                                                               codex::retry_reason::transport_failure});
}

TEST_CASE("call machine: a POST without an idempotency key is never resent once it may have run", "[call_machine][retry]") {
  call c;
  c.plan.replay_safe = false;
  c.start();
  SECTION("a reset connection") {
    CHECK(c.attempt(codex::error_info{.code = make_error_code(errc::connection_reset)}, t0).next == step::done);
    CHECK(c.outcome().response.code() == errc::connection_reset);
  }
  SECTION("a 503") {
    CHECK(c.attempt(response(503), t0).next == step::done);
  }
  SECTION("but a refused connection (nothing reached the server) and a 429 are retried") {
    CHECK(c.attempt(codex::error_info{.code = make_error_code(errc::connect_failed)}, t0).next == step::wait);
  }
  // Found by the fault matrix: a TLS handshake that stalled to the attempt timeout ended
  // the call, though not a byte of the request had been written.
  SECTION("a timeout before the request's first byte was written is retried, on a fresh slot") {
    REQUIRE(c.slot(t0, t0).next == step::send);
    const auto wait = c.answer(codex::error_info{.code = make_error_code(errc::timeout)}, t0 + 20s, /*written=*/false);
    REQUIRE(wait.next == step::wait);
    CHECK(c.woke(wait.until).next == step::get_slot);
    REQUIRE(c.slot(wait.until, wait.until).next == step::send);
    CHECK(c.answer(response(201), wait.until + 10ms).next == step::done);
    CHECK(c.outcome().response->status == 201);
    CHECK(c.report().attempts == 2);
  }
  SECTION("the same timeout once writing began is final") {
    REQUIRE(c.slot(t0, t0).next == step::send);
    CHECK(c.answer(codex::error_info{.code = make_error_code(errc::timeout)}, t0 + 20s, /*written=*/true).next ==
          step::done);
    CHECK(c.outcome().response.code() == errc::timeout);
  }
}

TEST_CASE("call machine: max_elapsed and the retry budget stop the retries", "[call_machine][retry]") {
  call c;
  SECTION("max_elapsed") {
    c.retry.max_elapsed = 1s;
    c.start();
    CHECK(c.attempt(response(503), t0 + 2s).next == step::done);
    CHECK(c.outcome().response->status == 503);
  }
  SECTION("an empty budget: retry_budget_exhausted") {
    codex::retry::retry_budget budget({.max_tokens = 0, .refund_per_success = 0, .min_retries_per_second = 0});
    c.plan.budget = &budget;
    c.start();
    const auto done = c.attempt(response(503, {{"X-Request-Id", "req_b"}}), t0);
    CHECK(done.next == step::done);
    const auto outcome = c.outcome();
    CHECK(outcome.response.code() == errc::retry_budget_exhausted);
    CHECK(outcome.response.error().request_id == "req_b");
  }
}

TEST_CASE("call machine: cancelled in the backoff: the call ends cancelled, no slot to give back", "[call_machine][cancel]") {
  call c;
  c.start();
  const auto wait = c.attempt(response(503), t0);
  REQUIRE(wait.next == step::wait);
  const auto done = c.woke(t0 + 1ms, true);
  CHECK(done.next == step::done);
  CHECK_FALSE(done.release_slot);
  CHECK(c.outcome().response.code() == errc::cancelled);
}

TEST_CASE("call machine: X-RateLimit-* headers become pacing for the limiter", "[call_machine][limiter]") {
  call c;
  c.start();
  const auto done = c.attempt(response(200, {{"X-RateLimit-Limit", "1000"}, {"X-RateLimit-Remaining", "3"},
                                             {"X-RateLimit-Reset", "12"}}),
                              t0);
  REQUIRE(done.pace);
  CHECK(done.pace->remaining == 3);
  CHECK(done.pace->server_limit == 1000u);
  CHECK(done.pace->reset == std::chrono::nanoseconds(12s));
}

TEST_CASE("call machine: the attempt timeout never passes the call's deadline", "[call_machine][deadline]") {
  call c;
  c.plan.deadline = t0 + 5s;
  c.start();
  CHECK(c.slot(t0 + 1s, t0 + 1s).until == t0 + 5s);
}
