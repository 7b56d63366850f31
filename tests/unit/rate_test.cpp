// codex::limit::rate_limit: the text forms of CODEX_RATE_LIMIT / --rate-limit.

#include <codex/limit/rate.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using codex::limit::parse_rate_limit;
using codex::limit::rate_limit;

TEST_CASE("the default is the contract's 1000 per minute, burst 1", "[rate]") {
  constexpr rate_limit rate = codex::limit::contract_default_rate;
  CHECK(rate.limit == 1000);
  CHECK(rate.period == 60s);
  CHECK(rate.burst == 1);
  CHECK(rate.emission_interval() == 60ms);
  CHECK(rate.valid());
  CHECK(to_string(rate) == "1000/60s");
}

TEST_CASE("parse_rate_limit reads the documented forms", "[rate]") {
  struct sample { const char* text; std::uint64_t limit; std::chrono::nanoseconds period; std::uint64_t burst; };
  const sample samples[] = {
      {"1000/60s", 1000, 60s, 1}, {"120/10s", 120, 10s, 1},  {"50/1s", 50, 1s, 1},
      {"1000/min", 1000, 60s, 1}, {"10/s", 10, 1s, 1},       {"5/sec", 5, 1s, 1},
      {"100/1m", 100, 60s, 1},    {"3600/h", 3600, 1h, 1},   {"1/hour", 1, 1h, 1},
      {"7/250ms", 7, 250ms, 1},   {" 1000/60s ", 1000, 60s, 1},
      {"600/1m,burst=20", 600, 60s, 20}, {"10/s, burst=3", 10, 1s, 3},
      {"1/1000ns", 1, 1000ns, 1}, {"1/5us", 1, 5us, 1},
  };
  for (const auto& s : samples) {
    INFO(s.text);
    const auto r = parse_rate_limit(s.text);
    REQUIRE(r.has_value());
    CHECK(r->limit == s.limit);
    CHECK(r->period == s.period);
    CHECK(r->burst == s.burst);
  }
}

TEST_CASE("parse_rate_limit refuses malformed text with invalid_argument", "[rate]") {
  const char* bad[] = {"",        "1000",      "/60s",          "1000/",       "1000/60",
                       "1000/60x", "0/60s",    "10/0s",         "-1/60s",      "1000/60s,",
                       "1000/60s,burst=", "1000/60s,burst=0", "1000/60s,burst=x", "1000/60s,foo=1",
                       "10 /s",   "1e3/s",     "abc",           "99999999999999999999999/s",
                       "2/1ns",   "1/99999999999h", "1000/60s,burst=2x", "1000/ 60s"};
  for (const char* text : bad) {
    INFO('"' << text << '"');
    const auto r = parse_rate_limit(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.code() == codex::errc::invalid_argument);
    // It says what is wrong and what form is expected.
    const std::string& message = r.error().message;
    INFO(message);
    CHECK(message.find("; expected LIMIT/[N]UNIT[,burst=B]") != std::string::npos);
    CHECK(message.find("1000/60s") != std::string::npos);
  }
  // The reason fits the text, which is never echoed (it may be a misplaced secret).
  auto message_of = [](const char* text) { return parse_rate_limit(text).error().message; };
  CHECK(message_of("foo").starts_with("not a rate"));
  CHECK(message_of("1000/60x").starts_with("the period's unit is missing or unknown"));
  CHECK(message_of("1000/60s,foo=1").starts_with("the only option after ',' is burst=B"));
  CHECK(message_of("0/60s").starts_with("the limit and the burst must be at least 1"));
  CHECK(message_of("10/0s").starts_with("the period is zero"));
  CHECK(message_of("cdx_0123456789abcdef").find("cdx_") == std::string::npos);
}

TEST_CASE("to_string gives the canonical form and parses back", "[rate]") {
  const rate_limit rates[] = {{1000, 60s, 1}, {120, 10s, 1}, {50, 1s, 7}, {7, 250ms, 1}, {1, 1500ns, 2}};
  for (const auto& rate : rates) {
    const std::string text = to_string(rate);
    INFO(text);
    const auto back = parse_rate_limit(text);
    REQUIRE(back.has_value());
    CHECK(*back == rate);
  }
  CHECK(to_string(rate_limit{1000, 1min, 1}) == "1000/60s");
  CHECK(to_string(rate_limit{10, 1s, 20}) == "10/1s,burst=20");
  CHECK(to_string(rate_limit{7, 250ms, 1}) == "7/250ms");
}

TEST_CASE("the emission interval rounds up, never admitting more than the limit", "[rate]") {
  CHECK(rate_limit{3, 1s, 1}.emission_interval() == 333'333'334ns);
  CHECK(rate_limit{1000, 60s, 1}.emission_interval() == 60ms);
  CHECK(rate_limit{1, 1ns, 1}.emission_interval() == 1ns);
}

TEST_CASE("valid() rejects zeroes and bursts that overflow the time axis", "[rate]") {
  CHECK_FALSE(rate_limit{0, 1s, 1}.valid());
  CHECK_FALSE(rate_limit{1, 0s, 1}.valid());
  CHECK_FALSE(rate_limit{1, -1s, 1}.valid());
  CHECK_FALSE(rate_limit{1, 1s, 0}.valid());
  CHECK_FALSE(rate_limit{2, 1ns, 1}.valid());
  CHECK_FALSE(rate_limit{1, 1h, 1'000'000'000}.valid());
  CHECK(rate_limit{1, 1s, 1'000'000}.valid());
}
