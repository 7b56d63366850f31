#include <codex/net/pacing_headers.hpp>

#include <array>
#include <limits>

namespace codex::net {
namespace {

using namespace std::chrono;

constexpr std::uint64_t max_delta_seconds = 1'000'000'000;  // ~31 years: "forever" for a client

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

constexpr std::array<std::string_view, 7> short_days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                       "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& names) noexcept {
  for (auto name : names)
    if (iequals(word, name)) return true;
  return false;
}

// A cursor over the date text; every take_* consumes on success only.
struct cursor {
  std::string_view rest;

  bool take(char c) noexcept {
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  std::string_view take_letters() noexcept {
    std::size_t n = 0;
    while (n < rest.size() && lower(rest[n]) >= 'a' && lower(rest[n]) <= 'z') ++n;
    const auto word = rest.substr(0, n);
    rest.remove_prefix(n);
    return word;
  }
  // Exactly `min`..`max` digits.
  std::optional<int> take_digits(std::size_t min, std::size_t max) noexcept {
    std::size_t n = 0;
    int value = 0;
    while (n < max && n < rest.size() && rest[n] >= '0' && rest[n] <= '9') value = value * 10 + (rest[n++] - '0');
    if (n < min || (n < rest.size() && rest[n] >= '0' && rest[n] <= '9')) return std::nullopt;
    rest.remove_prefix(n);
    return value;
  }
  std::optional<unsigned> take_month() noexcept {
    const auto word = take_letters();
    for (unsigned i = 0; i < months.size(); ++i)
      if (iequals(word, months[i])) return i + 1;
    return std::nullopt;
  }
};

struct clock_time { int hour, minute, second; };

// time-of-day = hour ":" minute ":" second (two digits each; second may be 60).
std::optional<clock_time> take_time(cursor& c) noexcept {
  const auto h = c.take_digits(2, 2);
  if (!h || !c.take(':')) return std::nullopt;
  const auto m = c.take_digits(2, 2);
  if (!m || !c.take(':')) return std::nullopt;
  const auto s = c.take_digits(2, 2);
  if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return clock_time{*h, *m, *s};
}

// system_clock counts nanoseconds in 64 bits: 1678 to 2262. A date outside cannot be a
// time_point at all (converting "Mon, 01 Jan 0001" overflowed: found by fuzz/retry_after).
constexpr days representable_days{106'750};

std::optional<system_clock::time_point> make_time(int y, unsigned mon, int d, clock_time t) noexcept {
  const year_month_day ymd{year{y}, month{mon}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const sys_days date{ymd};
  if (date.time_since_epoch() < -representable_days || date.time_since_epoch() > representable_days) return std::nullopt;
  return system_clock::time_point(date) + hours{t.hour} + minutes{t.minute} + seconds{t.second};
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (the day name already taken, with its comma).
std::optional<system_clock::time_point> imf_fixdate(cursor c) noexcept {
  const auto d = c.take_digits(2, 2);
  if (!d || !c.take(' ')) return std::nullopt;
  const auto mon = c.take_month();
  if (!mon || !c.take(' ')) return std::nullopt;
  const auto y = c.take_digits(4, 4);
  if (!y || !c.take(' ')) return std::nullopt;
  const auto t = take_time(c);
  if (!t || !c.take(' ') || !iequals(c.take_letters(), "GMT") || !c.rest.empty()) return std::nullopt;
  return make_time(*y, *mon, *d, *t);
}

// "Sunday, 06-Nov-94 08:49:37 GMT" (the day name already taken, with its comma).
std::optional<system_clock::time_point> rfc850_date(cursor c, system_clock::time_point now) noexcept {
  const auto d = c.take_digits(2, 2);
  if (!d || !c.take('-')) return std::nullopt;
  const auto mon = c.take_month();
  if (!mon || !c.take('-')) return std::nullopt;
  const auto yy = c.take_digits(2, 2);
  if (!yy || !c.take(' ')) return std::nullopt;
  const auto t = take_time(c);
  if (!t || !c.take(' ') || !iequals(c.take_letters(), "GMT") || !c.rest.empty()) return std::nullopt;
  // RFC 9110 §5.6.7: a year more than 50 years in the future is the most recent past
  // year with the same last two digits.
  const int this_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
  int y = this_year - this_year % 100 + *yy;
  if (y > this_year + 50) y -= 100;
  return make_time(y, *mon, *d, *t);
}

// "Sun Nov  6 08:49:37 1994" (the day name already taken, with its space).
std::optional<system_clock::time_point> asctime_date(cursor c) noexcept {
  const auto mon = c.take_month();
  if (!mon || !c.take(' ')) return std::nullopt;
  c.take(' ');  // a one-digit day is padded with a space
  const auto d = c.take_digits(1, 2);
  if (!d || !c.take(' ')) return std::nullopt;
  const auto t = take_time(c);
  if (!t || !c.take(' ')) return std::nullopt;
  const auto y = c.take_digits(4, 4);
  if (!y || !c.rest.empty()) return std::nullopt;
  return make_time(*y, *mon, *d, *t);
}

// Decimal seconds, "12" or "1.5", into milliseconds (fraction truncated past ms);
// saturates at max_delta_seconds.
std::optional<milliseconds> parse_seconds(std::string_view text) noexcept {
  text = trim(text);
  const auto dot = text.find('.');
  const auto whole = parse_unsigned(text.substr(0, dot));
  if (!whole) {
    // Only digits that overflow uint64 saturate; anything else is garbage.
    const auto digits = text.substr(0, dot);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    return duration_cast<milliseconds>(seconds(max_delta_seconds));
  }
  std::int64_t ms = 0;
  if (dot != std::string_view::npos) {
    const auto fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    int scale = 100;
    for (std::size_t i = 0; i < fraction.size() && scale > 0; ++i, scale /= 10) ms += (fraction[i] - '0') * scale;
  }
  if (*whole >= max_delta_seconds) return duration_cast<milliseconds>(seconds(max_delta_seconds));
  return milliseconds(static_cast<std::int64_t>(*whole) * 1000 + ms);
}

// Saturates at max_delta_seconds, as delta-seconds do: a date centuries ahead is
// "forever" too, and its distance from now need not fit a duration.
milliseconds wait_until(system_clock::time_point when, system_clock::time_point now) noexcept {
  if (when <= now) return milliseconds::zero();
  constexpr auto longest = duration_cast<milliseconds>(seconds(max_delta_seconds));
  if (when - now >= longest) return longest;
  return ceil<milliseconds>(when - now);
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view text,
                                                        system_clock::time_point now) noexcept {
  cursor c{trim(text)};
  const auto day_name = c.take_letters();
  if (c.take(',')) {
    if (!c.take(' ')) return std::nullopt;
    if (is_one_of(day_name, short_days)) return imf_fixdate(c);
    if (is_one_of(day_name, long_days)) return rfc850_date(c, now);
    return std::nullopt;
  }
  if (c.take(' ') && is_one_of(day_name, short_days)) return asctime_date(c);
  return std::nullopt;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, system_clock::time_point now) noexcept {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') return parse_seconds(value);
  if (const auto date = parse_http_date(value, now)) return wait_until(*date, now);
  return std::nullopt;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view value) noexcept {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::uint64_t result = 0;
  for (char ch : value) {
    if (ch < '0' || ch > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (result > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    result = result * 10 + digit;
  }
  return result;
}

rate_limit_headers parse_rate_limit_headers(std::optional<std::string_view> limit,
                                            std::optional<std::string_view> remaining,
                                            std::optional<std::string_view> reset,
                                            system_clock::time_point now) noexcept {
  rate_limit_headers out;
  if (limit) out.limit = parse_unsigned(*limit);
  if (remaining) out.remaining = parse_unsigned(*remaining);
  if (reset) {
    const auto secs = parse_seconds(*reset);
    // Nobody waits 31 years for a bucket: a value that large is a Unix time.
    if (secs && *secs >= duration_cast<milliseconds>(seconds(max_delta_seconds))) {
      const auto epoch = parse_unsigned(trim(*reset).substr(0, trim(*reset).find('.')));
      if (epoch && *epoch < static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()) * 4) {
        out.reset = wait_until(system_clock::time_point(seconds(static_cast<std::int64_t>(*epoch))), now);
      }
    } else {
      out.reset = secs;
    }
  }
  return out;
}

}  // namespace codex::net
