// Retry-After, HTTP-date and X-RateLimit-* parsing (src/net/pacing_headers.cpp): values a
// server, or anything between it and us, puts in a 429.
// Invariants: a date that parses, written back as an IMF-fixdate (the emulator's
// formatter), parses to the same instant; a wait is never negative nor beyond the
// documented 10^9 s; a number that parses, printed back, parses to itself.

#include <codex/net/pacing_headers.hpp>

#include "emulator/time_format.hpp"

#include "support.hpp"

#include <array>

namespace {

using namespace std::chrono;
using namespace codex;

constexpr auto max_wait = duration_cast<milliseconds>(seconds(1'000'000'000));

void check_wait(std::optional<milliseconds> wait) {
  if (wait) FUZZ_CHECK(*wait >= milliseconds::zero() && *wait <= max_wait);
}

void check_at(std::string_view text, system_clock::time_point now) {
  if (const auto date = net::parse_http_date(text, now)) {
    FUZZ_CHECK(floor<seconds>(*date) == *date);
    const std::string written = emulator::format_http_date(*date);
    const auto again = net::parse_http_date(written, now);
    if (!again) std::fprintf(stderr, "written back: %s\n", written.c_str());
    FUZZ_CHECK(again == date);
  }
  check_wait(net::parse_retry_after(text, now));
}

// Three header values, one a line: absent when the line is missing.
std::array<std::optional<std::string_view>, 3> lines(std::string_view text) {
  std::array<std::optional<std::string_view>, 3> out;
  for (auto& line : out) {
    if (text.empty()) break;
    const auto end = text.find('\n');
    line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  // Two "now"s: RFC 850's two-digit years are read relative to it.
  const auto now = system_clock::time_point(sys_days{year{2026} / 12 / 2}) + hours{10};
  const auto long_ago = system_clock::time_point(sys_days{year{1971} / 1 / 1});
  check_at(text, now);
  check_at(text, long_ago);

  if (const auto n = net::parse_unsigned(text)) FUZZ_CHECK(net::parse_unsigned(std::to_string(*n)) == n);

  const auto [limit_value, remaining, reset] = lines(text);
  const auto headers = net::parse_rate_limit_headers(limit_value, remaining, reset, now);
  if (headers.reset) FUZZ_CHECK(*headers.reset >= milliseconds::zero());
  return 0;
}
