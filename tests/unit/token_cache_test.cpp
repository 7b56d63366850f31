// codex::auth::token_cache: every transition of the token cache's state machine, in
// virtual time.

#include "auth/token_cache.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using codex::errc;
using codex::auth::secret;
using codex::auth::token_action;
using codex::auth::token_cache;
using codex::auth::token_cache_options;
using codex::auth::token_grant;
using steady = std::chrono::steady_clock;
using std::chrono::system_clock;

namespace {

const steady::time_point t0 = steady::time_point(10'000s);
// The local wall clock at t0.
const system_clock::time_point wall0 = system_clock::time_point(1'800'000'000s);

token_grant grant(const char* token, std::optional<std::chrono::seconds> expires_in,
                  std::optional<std::int64_t> exp = std::nullopt,
                  std::optional<system_clock::time_point> date = std::nullopt) {
  return token_grant{secret(token), expires_in, exp, date};
}

std::int64_t unix_seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A cache holding token "a" of one hour, fetched at t0.
token_cache with_token(const token_cache_options& options = {}) {
  token_cache cache(options);
  REQUIRE(cache.decide(t0).start_refresh);
  cache.on_refresh_success(grant("a", 3600s), t0, wall0);
  return cache;
}

}  // namespace

TEST_CASE("an empty cache starts exactly one refresh; every other caller waits", "[token_cache]") {
  token_cache cache;
  const auto refreshes = cache.generation();
  const auto first = cache.decide(t0);
  CHECK(first.action == token_action::must_wait_for_refresh);
  CHECK(first.start_refresh);
  CHECK(cache.refresh_in_flight());
  for (int i = 0; i < 255; ++i) {
    const auto other = cache.decide(t0 + 1ms * i);
    CHECK(other.action == token_action::must_wait_for_refresh);
    CHECK_FALSE(other.start_refresh);
  }
  CHECK(cache.generation() == refreshes);
  cache.on_refresh_success(grant("a", 3600s), t0, wall0);
  CHECK_FALSE(cache.refresh_in_flight());
  CHECK(cache.generation() == refreshes + 1);
  const auto after = cache.decide(t0 + 1s);
  CHECK(after.action == token_action::use_current);
  REQUIRE(after.token);
  CHECK(after.token->reveal() == "a");
}

TEST_CASE("expiry and refresh window of a one-hour token", "[token_cache]") {
  auto cache = with_token();
  // Margin min(30 s, 10 %) = 30 s; window min(10 %, 60 s) = 60 s.
  CHECK(cache.expires_at() == t0 + 3570s);
  CHECK(cache.refresh_at() == t0 + 3510s);
  CHECK(cache.decide(t0 + 3509s).action == token_action::use_current);

  const auto due = cache.decide(t0 + 3510s);
  CHECK(due.action == token_action::use_current_and_start_background_refresh);
  CHECK(due.start_refresh);
  CHECK(due.token->reveal() == "a");
  // Only one caller starts it; the others go on with the current token.
  for (int i = 0; i < 10; ++i) {
    const auto other = cache.decide(t0 + 3511s);
    CHECK(other.action == token_action::use_current);
    CHECK_FALSE(other.start_refresh);
  }
  cache.on_refresh_success(grant("b", 3600s), t0 + 3510s, wall0 + 3510s);
  const auto after = cache.decide(t0 + 3512s);
  CHECK(after.action == token_action::use_current);
  CHECK(after.token->reveal() == "b");
}

TEST_CASE("short-lived tokens keep proportionate margins", "[token_cache]") {
  token_cache cache;
  (void)cache.decide(t0);
  cache.on_refresh_success(grant("a", 2s), t0, wall0);
  CHECK(cache.expires_at() == t0 + 1800ms);  // margin 10 % of 2 s
  CHECK(cache.refresh_at() == t0 + 1600ms);  // window 10 % of 2 s
  CHECK(cache.decide(t0 + 1599ms).action == token_action::use_current);
  CHECK(cache.decide(t0 + 1600ms).action == token_action::use_current_and_start_background_refresh);
}

TEST_CASE("refresh window and margin are configurable", "[token_cache]") {
  token_cache cache({.refresh_fraction = 0.5, .max_refresh_window = 10min, .expiry_margin = 0s});
  (void)cache.decide(t0);
  cache.on_refresh_success(grant("a", 100s), t0, wall0);
  CHECK(cache.expires_at() == t0 + 100s);
  CHECK(cache.refresh_at() == t0 + 50s);
}

TEST_CASE("an expired token is not used: callers wait for one refresh", "[token_cache]") {
  auto cache = with_token();
  const auto d = cache.decide(t0 + 3570s);
  CHECK(d.action == token_action::must_wait_for_refresh);
  CHECK(d.start_refresh);
  CHECK_FALSE(d.token);
  CHECK_FALSE(cache.decide(t0 + 3571s).start_refresh);
}

TEST_CASE("a background refresh in flight when the token expires: callers wait for it", "[token_cache]") {
  auto cache = with_token();
  REQUIRE(cache.decide(t0 + 3520s).start_refresh);
  const auto d = cache.decide(t0 + 3580s);
  CHECK(d.action == token_action::must_wait_for_refresh);
  CHECK_FALSE(d.start_refresh);
}

TEST_CASE("expiry: the earlier of expires_in and exp, corrected with the server's Date", "[token_cache]") {
  token_cache cache({.expiry_margin = 0s});
  (void)cache.decide(t0);

  SECTION("exp shorter than expires_in wins") {
    cache.on_refresh_success(grant("a", 3600s, unix_seconds(wall0) + 600), t0, wall0);
    CHECK(cache.expires_at() == t0 + 600s);
  }
  SECTION("expires_in shorter than exp wins") {
    cache.on_refresh_success(grant("a", 300s, unix_seconds(wall0) + 600), t0, wall0);
    CHECK(cache.expires_at() == t0 + 300s);
  }
  SECTION("the local clock is 10 minutes fast: the Date header corrects it") {
    const auto server_now = wall0 - 10min;
    cache.on_refresh_success(grant("a", std::nullopt, unix_seconds(server_now) + 3600, server_now), t0, wall0);
    CHECK(cache.expires_at() == t0 + 3600s);
  }
  SECTION("without Date, exp is read against the local clock") {
    cache.on_refresh_success(grant("a", std::nullopt, unix_seconds(wall0) + 900), t0, wall0);
    CHECK(cache.expires_at() == t0 + 900s);
  }
  SECTION("an exp that looks past while expires_in is positive is clock skew: ignored") {
    cache.on_refresh_success(grant("a", 3600s, unix_seconds(wall0) - 60), t0, wall0);
    CHECK(cache.expires_at() == t0 + 3600s);
  }
  SECTION("no usable expiry: the configured unknown lifetime") {
    cache.on_refresh_success(grant("a", std::nullopt), t0, wall0);
    CHECK(cache.expires_at() == t0 + 5min);
  }
  SECTION("a zero expires_in is no expiry") {
    cache.on_refresh_success(grant("a", 0s), t0, wall0);
    CHECK(cache.expires_at() == t0 + 5min);
  }
}

TEST_CASE("a transient failure backs off; the next caller after it retries", "[token_cache]") {
  token_cache cache({.failure_backoff_initial = 1s, .failure_backoff_max = 4s});
  REQUIRE(cache.decide(t0).start_refresh);
  cache.on_refresh_failure(make_error_code(errc::timeout), t0, 0);  // jitter at its lowest: half the ceiling
  CHECK_FALSE(cache.refresh_in_flight());
  CHECK(cache.consecutive_failures() == 1);

  const auto waiting = cache.decide(t0 + 100ms);
  CHECK(waiting.action == token_action::wait_backoff);
  CHECK_FALSE(waiting.start_refresh);
  CHECK(waiting.retry_at == t0 + 500ms);
  CHECK(waiting.error == errc::timeout);

  const auto retry = cache.decide(t0 + 500ms);
  CHECK(retry.action == token_action::must_wait_for_refresh);
  CHECK(retry.start_refresh);

  SECTION("consecutive failures double the ceiling up to the maximum") {
    cache.on_refresh_failure(make_error_code(errc::server_error), t0 + 500ms, ~0ull);  // jitter at its highest
    CHECK(cache.decide(t0 + 501ms).retry_at == t0 + 500ms + 2s);
    REQUIRE(cache.decide(t0 + 2500ms).start_refresh);
    cache.on_refresh_failure(make_error_code(errc::server_error), t0 + 2500ms, 0);
    CHECK(cache.decide(t0 + 2501ms).retry_at == t0 + 2500ms + 2s);
    REQUIRE(cache.decide(t0 + 4500ms).start_refresh);
    cache.on_refresh_failure(make_error_code(errc::server_error), t0 + 4500ms, ~0ull);
    CHECK(cache.decide(t0 + 4501ms).retry_at == t0 + 4500ms + 4s);  // capped
    CHECK(cache.consecutive_failures() == 4);
  }
  SECTION("a success clears the failure state") {
    cache.on_refresh_success(grant("a", 3600s), t0 + 500ms, wall0);
    CHECK(cache.consecutive_failures() == 0);
    CHECK(cache.decide(t0 + 1s).action == token_action::use_current);
  }
}

TEST_CASE("a failed background refresh keeps the current token and waits out the backoff", "[token_cache]") {
  auto cache = with_token({.failure_backoff_initial = 10s, .failure_backoff_max = 10s});
  REQUIRE(cache.decide(t0 + 3510s).start_refresh);
  cache.on_refresh_failure(make_error_code(errc::connection_reset), t0 + 3510s, 0);  // backoff 5 s
  const auto d = cache.decide(t0 + 3512s);
  CHECK(d.action == token_action::use_current);
  CHECK_FALSE(d.start_refresh);
  const auto again = cache.decide(t0 + 3515s);
  CHECK(again.action == token_action::use_current_and_start_background_refresh);
  CHECK(again.start_refresh);
}

TEST_CASE("rejected credentials are terminal until they change", "[token_cache]") {
  SECTION("with no token: fail at once, never retry") {
    token_cache cache;
    REQUIRE(cache.decide(t0).start_refresh);
    cache.on_refresh_failure(make_error_code(errc::credentials_rejected), t0, 0);
    CHECK(cache.credentials_rejected());
    for (auto t : {t0, t0 + 1h, t0 + 24h}) {
      const auto d = cache.decide(t);
      CHECK(d.action == token_action::fail_credentials_rejected);
      CHECK_FALSE(d.start_refresh);
      CHECK(d.error == errc::credentials_rejected);
    }
    cache.reset_credentials();
    CHECK_FALSE(cache.credentials_rejected());
    const auto d = cache.decide(t0 + 24h);
    CHECK(d.action == token_action::must_wait_for_refresh);
    CHECK(d.start_refresh);
  }
  SECTION("during a background refresh: the valid token serves until it expires") {
    auto cache = with_token();
    REQUIRE(cache.decide(t0 + 3510s).start_refresh);
    cache.on_refresh_failure(make_error_code(errc::credentials_rejected), t0 + 3510s, 0);
    const auto d = cache.decide(t0 + 3520s);
    CHECK(d.action == token_action::use_current);
    CHECK_FALSE(d.start_refresh);
    CHECK(cache.decide(t0 + 3570s).action == token_action::fail_credentials_rejected);
  }
}

TEST_CASE("a cancelled refresh is no failure", "[token_cache]") {
  token_cache cache;
  REQUIRE(cache.decide(t0).start_refresh);
  const auto generation = cache.generation();
  cache.on_refresh_failure(make_error_code(errc::cancelled), t0, 0);
  CHECK(cache.generation() == generation + 1);  // waiters wake up and decide again
  CHECK(cache.consecutive_failures() == 0);
  const auto d = cache.decide(t0);
  CHECK(d.action == token_action::must_wait_for_refresh);
  CHECK(d.start_refresh);
}

TEST_CASE("invalidate forgets only the current token: two 401s, one refresh", "[token_cache]") {
  auto cache = with_token();
  const auto first = cache.decide(t0 + 1s);
  const auto second = cache.decide(t0 + 1s);
  REQUIRE(first.token == second.token);

  CHECK(cache.invalidate(first.token));
  CHECK_FALSE(cache.invalidate(second.token));  // the same token: already gone
  const auto refresh = cache.decide(t0 + 2s);
  CHECK(refresh.action == token_action::must_wait_for_refresh);
  CHECK(refresh.start_refresh);
  CHECK_FALSE(cache.decide(t0 + 2s).start_refresh);

  cache.on_refresh_success(grant("b", 3600s), t0 + 2s, wall0);
  // A late 401 for the old token does not throw the new one away.
  CHECK_FALSE(cache.invalidate(first.token));
  CHECK(cache.decide(t0 + 3s).token->reveal() == "b");
  CHECK_FALSE(cache.invalidate(nullptr));
  // Same value, different object: not the token that was handed out.
  CHECK_FALSE(cache.invalidate(std::make_shared<const secret>("b")));
}

TEST_CASE("token_action names", "[token_cache]") {
  CHECK(std::string(to_string(token_action::use_current)) == "use_current");
  CHECK(std::string(to_string(token_action::wait_backoff)) == "wait_backoff");
  CHECK(std::string(to_string(token_action::fail_credentials_rejected)) == "fail_credentials_rejected");
}
