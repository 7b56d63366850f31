#include <codex/limit/rate.hpp>

#include <limits>
#include <optional>

namespace codex::limit {
namespace {

using std::chrono::nanoseconds;

constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads the leading decimal digits of `s` (at least one), advancing it. Overflow → nullopt.
std::optional<std::uint64_t> take_number(std::string_view& s) noexcept {
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const auto digit = static_cast<std::uint64_t>(s[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (i == 0) return std::nullopt;
  s.remove_prefix(i);
  return value;
}

std::optional<std::int64_t> unit_ns(std::string_view unit) noexcept {
  if (unit == "ns") return 1;
  if (unit == "us") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s" || unit == "sec") return 1'000'000'000;
  if (unit == "m" || unit == "min") return 60'000'000'000;
  if (unit == "h" || unit == "hour") return 3'600'000'000'000;
  return std::nullopt;
}

// Says what is wrong and what is expected, never echoing the text: it may have been a
// secret pasted into the wrong variable or flag.
result<rate_limit> invalid(std::string_view what_is_wrong) {
  return error_info{.code = make_error_code(errc::invalid_argument),
                    .message = std::string(what_is_wrong) +
                               "; expected LIMIT/[N]UNIT[,burst=B] with UNIT one of ns, us, ms, s, m, h, "
                               "e.g. 1000/60s or 10/s,burst=20"};
}

}  // namespace

bool rate_limit::valid() const noexcept {
  if (limit == 0 || burst == 0 || period.count() <= 0) return false;
  if (limit > static_cast<std::uint64_t>(period.count())) return false;  // interval < 1 ns
  // The limiter computes (burst - 1) × interval and adds it to times: keep it far from
  // overflow (a quarter of the axis is ~73 years).
  const auto interval = emission_interval().count();
  return burst - 1 <= static_cast<std::uint64_t>(max_ns / 4 / interval);
}

result<rate_limit> parse_rate_limit(std::string_view text) {
  std::string_view s = trim(text);
  rate_limit rate;
  const auto limit = take_number(s);
  if (!limit || s.empty() || s.front() != '/') return invalid("not a rate: it must start with a whole number and '/'");
  s.remove_prefix(1);
  rate.limit = *limit;

  std::uint64_t count = 1;
  if (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    const auto n = take_number(s);
    if (!n) return invalid("the period's count is too large");
    count = *n;
  }
  const auto comma = s.find(',');
  const auto unit = unit_ns(trim(s.substr(0, comma)));
  if (!unit) return invalid("the period's unit is missing or unknown");
  if (count == 0) return invalid("the period is zero");
  if (count > static_cast<std::uint64_t>(max_ns / *unit)) return invalid("the period is too long");
  rate.period = nanoseconds(static_cast<std::int64_t>(count) * *unit);

  if (comma != std::string_view::npos) {
    std::string_view option = trim(s.substr(comma + 1));
    constexpr std::string_view key = "burst=";
    if (option.substr(0, key.size()) != key) return invalid("the only option after ',' is burst=B");
    option.remove_prefix(key.size());
    const auto burst = take_number(option);
    if (!burst || !option.empty()) return invalid("burst= takes a whole number");
    rate.burst = *burst;
  }
  if (!rate.valid())
    return invalid("the limit and the burst must be at least 1, with at most one request per nanosecond");
  return rate;
}

std::string to_string(const rate_limit& rate) {
  // Whole seconds read best ("1000/60s", the form CODEX_RATE_LIMIT documents); finer
  // periods fall back to ms or ns, which parse_rate_limit() also reads.
  std::string out = std::to_string(rate.limit) + "/";
  const std::int64_t ns = rate.period.count();
  if (ns % 1'000'000'000 == 0) {
    out += std::to_string(ns / 1'000'000'000) + "s";
  } else if (ns % 1'000'000 == 0) {
    out += std::to_string(ns / 1'000'000) + "ms";
  } else {
    out += std::to_string(ns) + "ns";
  }
  if (rate.burst != 1) out += ",burst=" + std::to_string(rate.burst);
  return out;
}

}  // namespace codex::limit
