// codex::retry::decide / retry_tracker: the retry loop's decisions in virtual time.

#include "retry/retry_policy.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace std::chrono_literals;
using codex::errc;
using codex::retry::attempt_outcome;
using codex::retry::classify;
using codex::retry::decide;
using codex::retry::retry_class;
using codex::retry::retry_options;
using codex::retry::retry_state;
using codex::retry::retry_tracker;
using codex::retry::stop_reason;
using clock_type = codex::retry::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point(1000s);
constexpr std::uint64_t half = std::uint64_t{1} << 63;  // random bits that pick the middle
constexpr std::uint64_t top = ~std::uint64_t{0};        // ... the top of the range

attempt_outcome status(int code, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  return attempt_outcome{.http_status = code,
                         .error = code >= 200 && code < 300 ? std::error_code{}
                                                            : make_error_code(codex::errc_from_status(code)),
                         .retry_after = retry_after};
}

attempt_outcome transport(errc e) { return attempt_outcome{.http_status = 0, .error = make_error_code(e)}; }

retry_state fresh(bool replay_safe = true, clock_type::time_point deadline = clock_type::time_point::max()) {
  return retry_state{.attempts = 1, .started = t0, .deadline = deadline, .replay_safe = replay_safe};
}

}  // namespace

TEST_CASE("classify: statuses", "[retry]") {
  for (int s : {200, 201, 204, 299}) CHECK(classify(status(s)) == retry_class::success);
  CHECK(classify(status(429)) == retry_class::always);
  for (int s : {408, 500, 502, 503, 504}) CHECK(classify(status(s)) == retry_class::if_replay_safe);
  for (int s : {400, 401, 403, 404, 409, 413, 422, 501, 505, 302}) {
    INFO(s);
    CHECK(classify(status(s)) == retry_class::never);
  }
}

TEST_CASE("classify: transport failures", "[retry]") {
  for (errc e : {errc::resolve_failed, errc::connect_failed, errc::tls_handshake_failed})
    CHECK(classify(transport(e)) == retry_class::always);
  for (errc e : {errc::connection_closed, errc::connection_reset, errc::timeout, errc::io_error})
    CHECK(classify(transport(e)) == retry_class::if_replay_safe);
  for (errc e : {errc::certificate_rejected, errc::host_name_mismatch, errc::cancelled, errc::protocol_error,
                 errc::response_too_large, errc::invalid_url, errc::decode_error})
    CHECK(classify(transport(e)) == retry_class::never);
  // Nothing of the request written (a stalled handshake): whatever the failure, it cannot have run.
  for (errc e : {errc::connection_closed, errc::connection_reset, errc::timeout, errc::io_error})
    CHECK(classify(attempt_outcome{.error = make_error_code(e), .request_written = false}) == retry_class::always);
  CHECK(classify(attempt_outcome{.error = make_error_code(errc::cancelled), .request_written = false}) ==
        retry_class::never);
  // Untyped errors are never retried: they should have been mapped.
  CHECK(classify(attempt_outcome{.http_status = 0, .error = std::make_error_code(std::errc::connection_reset)}) ==
        retry_class::never);
  CHECK(classify(attempt_outcome{}) == retry_class::never);
}

TEST_CASE("a success stops with no error", "[retry]") {
  const auto d = decide(status(200), fresh(), retry_options{}, t0, half);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::succeeded);
  CHECK_FALSE(d.error);
}

TEST_CASE("final answers are never retried", "[retry]") {
  for (int s : {400, 401, 403, 404, 409, 413, 422}) {
    INFO(s);
    const auto d = decide(status(s), fresh(), retry_options{}, t0, half);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == stop_reason::not_retryable);
    CHECK(d.error == codex::errc_from_status(s));
  }
}

TEST_CASE("retryable failures back off with full jitter", "[retry]") {
  const retry_options options{.max_attempts = 5, .backoff = {.initial = 100ms, .max = 1s, .multiplier = 2}};
  for (int s : {408, 500, 502, 503, 504}) {
    INFO(s);
    auto state = fresh();
    auto d = decide(status(s), state, options, t0, top);
    REQUIRE(d.retry);
    CHECK(d.delay == 100ms);
    CHECK_FALSE(d.honours_retry_after);
    state.attempts = 3;
    CHECK(decide(status(s), state, options, t0, top).delay == 400ms);
    CHECK(decide(status(s), state, options, t0, half).delay == 200ms);
    CHECK(decide(status(s), state, options, t0, 0).delay == 0ms);
  }
  auto d = decide(transport(errc::connection_reset), fresh(), options, t0, half);
  CHECK(d.retry);
  CHECK(d.delay == 50ms);
}

TEST_CASE("a request that may have run is retried only when replay-safe", "[retry]") {
  for (auto outcome : {status(500), status(503), status(408), transport(errc::connection_reset),
                       transport(errc::connection_closed), transport(errc::timeout)}) {
    const auto d = decide(outcome, fresh(false), retry_options{}, t0, half);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == stop_reason::not_replay_safe);
    CHECK(d.error == outcome.error);
  }
  // Not sent, or refused before processing: retried whatever the method.
  for (auto outcome : {status(429), transport(errc::connect_failed), transport(errc::resolve_failed),
                       transport(errc::tls_handshake_failed)}) {
    CHECK(decide(outcome, fresh(false), retry_options{}, t0, half).retry);
  }
}

TEST_CASE("max_attempts stops the loop with the last error", "[retry]") {
  auto state = fresh();
  state.attempts = 4;
  const auto d = decide(status(503), state, retry_options{.max_attempts = 4}, t0, half);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::attempts_exhausted);
  CHECK(d.error == errc::server_error);
  state.attempts = 3;
  CHECK(decide(status(503), state, retry_options{.max_attempts = 4}, t0, half).retry);
  state.attempts = 1;
  CHECK(decide(status(503), state, retry_options{.max_attempts = 1}, t0, half).reason ==
        stop_reason::attempts_exhausted);
}

TEST_CASE("Retry-After takes precedence over backoff, plus a little jitter", "[retry]") {
  const retry_options options{.backoff = {.initial = 100ms, .max = 1s}, .retry_after_jitter = 200ms};
  auto d = decide(status(429, 3s), fresh(), options, t0, 0);
  REQUIRE(d.retry);
  CHECK(d.honours_retry_after);
  CHECK(d.delay == 3s);
  CHECK(decide(status(429, 3s), fresh(), options, t0, top).delay == 3200ms);
  CHECK(decide(status(503, 0ms), fresh(), options, t0, 0).delay == 0ms);
  // Different random bits spread callers told the same thing.
  std::set<long long> delays;
  for (std::uint64_t i = 0; i < 100; ++i) delays.insert(decide(status(429, 1s), fresh(), options, t0, i * (top / 100)).delay.count());
  CHECK(delays.size() > 50);
  for (auto ms : delays) {
    CHECK(ms >= 1000);
    CHECK(ms <= 1200);
  }
}

TEST_CASE("a wait longer than the remaining deadline stops at once", "[retry]") {
  const retry_options options{.backoff = {.initial = 10s, .max = 10s}};
  SECTION("Retry-After") {
    const auto d = decide(status(429, 5s), fresh(true, t0 + 2s), options, t0, 0);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == stop_reason::deadline_too_short);
    CHECK(d.error == errc::deadline_too_short);
    CHECK(decide(status(429, 2s), fresh(true, t0 + 2s), options, t0, 0).reason == stop_reason::deadline_too_short);
  }
  SECTION("backoff") {
    const auto d = decide(status(503), fresh(true, t0 + 2s), options, t0, top);
    CHECK_FALSE(d.retry);
    CHECK(d.error == errc::deadline_too_short);
    // A short draw of the same backoff fits.
    CHECK(decide(status(503), fresh(true, t0 + 2s), options, t0, top / 10).retry);
  }
  SECTION("jitter after a Retry-After that fits is clipped to the deadline") {
    const retry_options jittery{.retry_after_jitter = 5s};
    const auto d = decide(status(429, 1s), fresh(true, t0 + 2s), jittery, t0, top);
    REQUIRE(d.retry);
    CHECK(d.delay >= 1s);
    CHECK(d.delay < 2s);
  }
  SECTION("a deadline already passed") {
    const auto d = decide(transport(errc::timeout), fresh(true, t0), options, t0, 0);
    CHECK(d.reason == stop_reason::deadline_exceeded);
    CHECK(d.error == errc::timeout);
  }
}

TEST_CASE("max_elapsed bounds the whole loop", "[retry]") {
  const retry_options options{.max_attempts = 100, .max_elapsed = 10s};
  CHECK(decide(status(503), fresh(), options, t0 + 10s, 0).reason == stop_reason::elapsed_exhausted);
  CHECK(decide(status(503), fresh(), options, t0 + 9s, 0).retry);
  const auto d = decide(status(429, 2s), fresh(), options, t0 + 9s, 0);
  CHECK(d.reason == stop_reason::elapsed_exhausted);
  CHECK(d.error == errc::rate_limited);
}

TEST_CASE("retry_tracker counts attempts through a whole call", "[retry]") {
  retry_tracker tracker(retry_options{.max_attempts = 3, .backoff = {.initial = 100ms}}, t0,
                        clock_type::time_point::max(), true);
  CHECK(tracker.attempts() == 0);
  auto d = tracker.on_attempt(status(503), t0, top);
  CHECK(d.retry);
  CHECK(d.delay == 100ms);
  d = tracker.on_attempt(transport(errc::connection_reset), t0 + 100ms, top);
  CHECK(d.retry);
  CHECK(d.delay == 200ms);
  d = tracker.on_attempt(status(502), t0 + 300ms, top);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::attempts_exhausted);
  CHECK(tracker.attempts() == 3);
}

TEST_CASE("retry_tracker spends and refunds the shared budget", "[retry]") {
  codex::retry::retry_budget budget({.max_tokens = 1, .refund_per_success = 0.5, .min_retries_per_second = 0});
  const retry_options options{.max_attempts = 10};
  retry_tracker first(options, t0, clock_type::time_point::max(), true, &budget);
  CHECK(first.on_attempt(status(503), t0, 0).retry);
  CHECK(budget.tokens() == 0.0);
  const auto d = first.on_attempt(status(503), t0, 0);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::budget_exhausted);
  CHECK(d.error == errc::retry_budget_exhausted);

  SECTION("calls that stop for other reasons cost nothing") {
    retry_tracker other(options, t0, clock_type::time_point::max(), true, &budget);
    CHECK(other.on_attempt(status(404), t0, 0).reason == stop_reason::not_retryable);
    CHECK(budget.tokens() == 0.0);
  }
  SECTION("successes refund") {
    for (int i = 0; i < 2; ++i) {
      retry_tracker ok(options, t0, clock_type::time_point::max(), true, &budget);
      CHECK(ok.on_attempt(status(200), t0, 0).reason == stop_reason::succeeded);
    }
    CHECK(budget.tokens() == 1.0);
    retry_tracker again(options, t0, clock_type::time_point::max(), true, &budget);
    CHECK(again.on_attempt(status(500), t0, 0).retry);
  }
}

TEST_CASE("stop reasons have names", "[retry]") {
  CHECK(std::string(to_string(stop_reason::deadline_too_short)) == "deadline_too_short");
  CHECK(std::string(to_string(stop_reason::budget_exhausted)) == "budget_exhausted");
  CHECK(std::string(to_string(stop_reason::succeeded)) == "succeeded");
}
