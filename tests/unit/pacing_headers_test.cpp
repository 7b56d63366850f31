// Retry-After, HTTP-date and X-RateLimit-* parsing, all relative to an injected "now".

#include <codex/net/pacing_headers.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono;
using namespace std::chrono_literals;
using codex::net::parse_http_date;
using codex::net::parse_rate_limit_headers;
using codex::net::parse_retry_after;
using codex::net::parse_unsigned;

namespace {

system_clock::time_point at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return system_clock::time_point(sys_days{year{y} / month{m} / day{d}}) + hours{hh} + minutes{mm} + seconds{ss};
}

// RFC 9110's example instant.
const auto example = at(1994, 11, 6, 8, 49, 37);

}  // namespace

TEST_CASE("parse_http_date reads the three forms of RFC 9110", "[retry_after]") {
  const auto now = at(2026, 11, 22, 10, 0, 0);
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now) == example);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now) == example);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994", now) == example);
  CHECK(parse_http_date("Sun Nov 16 08:49:37 1994", now) == at(1994, 11, 16, 8, 49, 37));
  CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT  ", now) == example);
  CHECK(parse_http_date("sun, 06 nov 1994 08:49:37 gmt", now) == example);
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", now) == system_clock::time_point{});
  CHECK(parse_http_date("Sun, 29 Feb 2032 23:59:59 GMT", now) == at(2032, 2, 29, 23, 59, 59));
  // A leap second is a valid time-of-day.
  CHECK(parse_http_date("Wed, 31 Dec 2025 23:59:60 GMT", now) == at(2026, 1, 1, 0, 0, 0));
}

TEST_CASE("RFC 850's two-digit year is resolved against now", "[retry_after]") {
  const auto now = at(2026, 1, 1, 0, 0, 0);
  CHECK(parse_http_date("Tuesday, 01-Dec-26 00:00:00 GMT", now) == at(2026, 12, 1, 0, 0, 0));
  CHECK(parse_http_date("Friday, 01-Jan-76 00:00:00 GMT", now) == at(2076, 1, 1, 0, 0, 0));  // 50 years ahead: kept
  CHECK(parse_http_date("Friday, 01-Jan-77 00:00:00 GMT", now) == at(1977, 1, 1, 0, 0, 0));  // 51: previous century
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now) == example);
}

TEST_CASE("parse_http_date refuses garbage and impossible dates", "[retry_after]") {
  const auto now = at(2026, 1, 1, 0, 0, 0);
  const char* bad[] = {
      "",
      "Sun",
      "Sun, 06 Nov 1994 08:49:37",           // no GMT
      "Sun, 06 Nov 1994 08:49:37 UTC",       // only GMT
      "Sun, 06 Nov 1994 08:49:37 GMT+1",
      "Sun, 6 Nov 1994 08:49:37 GMT",        // IMF day is two digits
      "Sun, 06 Nov 94 08:49:37 GMT",         // IMF year is four digits
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06 Nov 1994 08:49:37 GMT",    // long day name with the IMF date
      "Sun, 06-Nov-94 08:49:37 GMT",         // short day name with the RFC 850 date
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sun, 06 Nov 19945 08:49:37 GMT",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov  6 08:49:37 1994 GMT",
      "Sunday Nov  6 08:49:37 1994",
      "2026-01-01T00:00:00Z",
      "Sun,06 Nov 1994 08:49:37 GMT",
  };
  for (const char* text : bad) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_http_date(text, now).has_value());
  }
}

TEST_CASE("Retry-After as delta-seconds", "[retry_after]") {
  const auto now = at(2026, 1, 1, 0, 0, 0);
  CHECK(parse_retry_after("0", now) == 0ms);
  CHECK(parse_retry_after("1", now) == 1000ms);
  CHECK(parse_retry_after("120", now) == 120s);
  CHECK(parse_retry_after(" 7 ", now) == 7s);
  CHECK(parse_retry_after("1.5", now) == 1500ms);   // tolerated
  CHECK(parse_retry_after("0.0015", now) == 1ms);   // fraction truncated past ms
  CHECK(parse_retry_after("99999999999999999999999", now) == duration_cast<milliseconds>(1'000'000'000s));
  CHECK(parse_retry_after("2000000000", now) == duration_cast<milliseconds>(1'000'000'000s));
}

TEST_CASE("Retry-After as an HTTP-date, in every form, relative to now", "[retry_after]") {
  const auto now = at(2026, 11, 22, 10, 0, 0);
  CHECK(parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", now) == 30s);
  CHECK(parse_retry_after("Sunday, 22-Nov-26 10:01:00 GMT", now) == 60s);
  CHECK(parse_retry_after("Sun Nov 22 10:00:02 2026", now) == 2s);
  // Rounded up, so that nothing goes before the named time.
  CHECK(parse_retry_after("Sun, 22 Nov 2026 10:00:01 GMT", now - 1us) == 1001ms);
}

TEST_CASE("Retry-After dates in the past mean no wait", "[retry_after]") {
  const auto now = at(2026, 11, 22, 10, 0, 0);
  CHECK(parse_retry_after("Sun, 22 Nov 2026 09:59:59 GMT", now) == 0ms);
  CHECK(parse_retry_after("Sun, 22 Nov 2026 10:00:00 GMT", now) == 0ms);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == 0ms);
}

TEST_CASE("Retry-After garbage gives nullopt", "[retry_after]") {
  const auto now = at(2026, 1, 1, 0, 0, 0);
  for (const char* text : {"", "  ", "-1", "+5", "1e3", "1.", ".5", "1.5.2", "12s", "soon", "0x10",
                           "Sun, 06 Nov 1994", "1 2", "NaN"}) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_retry_after(text, now).has_value());
  }
}

TEST_CASE("parse_unsigned", "[retry_after]") {
  CHECK(parse_unsigned("0") == 0u);
  CHECK(parse_unsigned(" 42 ") == 42u);
  CHECK(parse_unsigned("18446744073709551615") == 18446744073709551615u);
  CHECK_FALSE(parse_unsigned("18446744073709551616").has_value());
  CHECK_FALSE(parse_unsigned("").has_value());
  CHECK_FALSE(parse_unsigned("-1").has_value());
  CHECK_FALSE(parse_unsigned("4 2").has_value());
}

TEST_CASE("X-RateLimit-* headers", "[retry_after]") {
  const auto now = at(2026, 1, 1, 0, 0, 0);
  SECTION("the contract's form: Reset in seconds until full") {
    const auto h = parse_rate_limit_headers("1000", "998", "2", now);
    CHECK(h.limit == 1000u);
    CHECK(h.remaining == 998u);
    CHECK(h.reset == 2s);
  }
  SECTION("a fractional Reset") {
    CHECK(parse_rate_limit_headers(std::nullopt, std::nullopt, "0.12", now).reset == 120ms);
  }
  SECTION("a Reset that is a Unix time") {
    const auto unix_now = duration_cast<seconds>(now.time_since_epoch()).count();
    CHECK(parse_rate_limit_headers({}, {}, std::to_string(unix_now + 30), now).reset == 30s);
    CHECK(parse_rate_limit_headers({}, {}, std::to_string(unix_now - 30), now).reset == 0ms);
  }
  SECTION("absent and malformed headers are absent, never an error") {
    const auto h = parse_rate_limit_headers(std::nullopt, "many", "-3", now);
    CHECK_FALSE(h.limit.has_value());
    CHECK_FALSE(h.remaining.has_value());
    CHECK_FALSE(h.reset.has_value());
  }
}

// Found by fuzz/retry_after: a date beyond system_clock's range (64-bit nanoseconds,
// 1678 to 2262) overflowed while it was converted (undefined behaviour).
TEST_CASE("dates that system_clock cannot hold are refused, far waits saturate", "[retry_after]") {
  const auto now = at(2026, 11, 22, 10, 0, 0);
  CHECK_FALSE(parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT", now));
  CHECK_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", now));
  CHECK_FALSE(parse_http_date("Sun Jan  1 00:00:00 1600", now));
  CHECK(parse_http_date("Sat, 01 Jan 1700 00:00:00 GMT", now) == at(1700, 1, 1, 0, 0, 0));
  CHECK(parse_http_date("Mon, 01 Jan 2252 00:00:00 GMT", now) == at(2252, 1, 1, 0, 0, 0));
  CHECK_FALSE(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now));
  // Two centuries ahead is "forever", like a delta beyond 10^9 s.
  CHECK(parse_retry_after("Mon, 01 Jan 2252 00:00:00 GMT", now) == duration_cast<milliseconds>(seconds(1'000'000'000)));
  CHECK(parse_retry_after("99999999999", now) == duration_cast<milliseconds>(seconds(1'000'000'000)));
}
