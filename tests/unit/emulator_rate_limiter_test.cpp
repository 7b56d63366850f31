// The emulator's rate limiter: GCRA and fixed-window arithmetic in virtual time,
// and the Retry-After forms.

#include "emulator/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace codex::emulator;
using namespace std::chrono_literals;

namespace {

rate_limit_options per_minute(std::uint32_t limit, std::uint32_t burst = 0) {
  return {.limit = limit, .window = 60s, .burst = burst, .mode = limiter_mode::gcra};
}

}  // namespace

TEST_CASE("GCRA lets a full bucket through, then one request per interval", "[emulator][rate]") {
  gcra_state s;
  const auto opts = per_minute(60);  // one per second, bucket of 60
  const limiter_time t0 = 1000s;
  for (int i = 0; i < 60; ++i) {
    const auto d = gcra_decide(s, t0, opts);
    REQUIRE(d.allowed);
    CHECK(d.remaining == static_cast<std::uint32_t>(59 - i));
    CHECK(d.limit == 60);
  }
  auto denied = gcra_decide(s, t0, opts);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == 1s);
  CHECK(denied.remaining == 0);
  CHECK(denied.reset == 60s);

  // Half a second later: still denied, half a second to wait.
  denied = gcra_decide(s, t0 + 500ms, opts);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == 500ms);
  // After one interval exactly one more passes.
  CHECK(gcra_decide(s, t0 + 1s, opts).allowed);
  CHECK_FALSE(gcra_decide(s, t0 + 1s, opts).allowed);
}

TEST_CASE("GCRA refills evenly and reports the time until full", "[emulator][rate]") {
  gcra_state s;
  const auto opts = per_minute(600);  // 100 ms interval
  const limiter_time t0 = 5s;
  for (int i = 0; i < 10; ++i) REQUIRE(gcra_decide(s, t0, opts).allowed);
  const auto d = gcra_decide(s, t0 + 2s, opts);
  REQUIRE(d.allowed);
  CHECK(d.remaining == 599);  // the ten earlier requests have drained after 1 s
  CHECK(d.reset == 100ms);
  CHECK(ceil_seconds(d.reset) == 1);
}

TEST_CASE("GCRA burst smaller than the limit caps the bucket", "[emulator][rate]") {
  gcra_state s;
  const auto opts = per_minute(60, 5);
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += gcra_decide(s, 0s, opts).allowed ? 1 : 0;
  CHECK(passed == 5);
  const auto d = gcra_decide(s, 0s, opts);
  CHECK(d.limit == 5);
  CHECK(d.retry_after == 1s);
}

TEST_CASE("a denied request does not move the GCRA state", "[emulator][rate]") {
  gcra_state s;
  const auto opts = per_minute(1);
  REQUIRE(gcra_decide(s, 0s, opts).allowed);
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(gcra_decide(s, 1s, opts).allowed);
  CHECK(gcra_decide(s, 60s, opts).allowed);
}

TEST_CASE("fixed window: limit per aligned window, reset at its end", "[emulator][rate]") {
  window_state s;
  const rate_limit_options opts{.limit = 3, .window = 10s, .burst = 0, .mode = limiter_mode::fixed_window};
  CHECK(fixed_window_decide(s, 12s, opts).remaining == 2);
  CHECK(fixed_window_decide(s, 13s, opts).remaining == 1);
  const auto last = fixed_window_decide(s, 19s, opts);
  CHECK(last.allowed);
  CHECK(last.remaining == 0);
  CHECK(last.reset == 1s);
  const auto denied = fixed_window_decide(s, 19500ms, opts);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == 500ms);
  // A new window starts at 20 s with a fresh count.
  CHECK(fixed_window_decide(s, 20s, opts).allowed);
  CHECK(fixed_window_decide(s, 20s, opts).remaining == 1);
}

TEST_CASE("rate_limiter keeps one bucket per key and per mode", "[emulator][rate]") {
  rate_limiter limiter;
  const auto opts = per_minute(2);
  CHECK(limiter.decide("a", 0s, opts).allowed);
  CHECK(limiter.decide("a", 0s, opts).allowed);
  CHECK_FALSE(limiter.decide("a", 0s, opts).allowed);
  CHECK(limiter.decide("b", 0s, opts).allowed);
  limiter.clear();
  CHECK(limiter.decide("a", 0s, opts).allowed);
}

TEST_CASE("rate_limiter prunes idle keys past its bound", "[emulator][rate]") {
  rate_limiter limiter{4};
  const auto opts = per_minute(60);
  for (int i = 0; i < 4; ++i) limiter.decide("k" + std::to_string(i), 0s, opts);
  CHECK(limiter.size() == 4);
  limiter.decide("late", 2h, opts);  // every earlier bucket refilled long ago
  CHECK(limiter.size() == 1);
}

TEST_CASE("Retry-After: delta-seconds rounded up, or an HTTP-date", "[emulator][rate]") {
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds(784111777)};  // Sun, 06 Nov 1994 08:49:37
  CHECK(format_retry_after(1ms, now, retry_after_format::seconds) == "1");
  CHECK(format_retry_after(1s, now, retry_after_format::seconds) == "1");
  CHECK(format_retry_after(1001ms, now, retry_after_format::seconds) == "2");
  CHECK(format_retry_after(0s, now, retry_after_format::seconds) == "1");
  CHECK(format_retry_after(59500ms, now, retry_after_format::seconds) == "60");
  CHECK(format_retry_after(0s, now, retry_after_format::http_date) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format_retry_after(200ms, now, retry_after_format::http_date) == "Sun, 06 Nov 1994 08:49:38 GMT");
  CHECK(format_retry_after(3s, now + 500ms, retry_after_format::http_date) == "Sun, 06 Nov 1994 08:49:41 GMT");
}
