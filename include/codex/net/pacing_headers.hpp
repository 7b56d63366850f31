#pragma once
// Parsing of the pacing headers a server sends: Retry-After (RFC 9110 §10.2.3: delta
// seconds or an HTTP-date), the HTTP-date itself (§5.6.7, also for the Date header),
// and the optional X-RateLimit-Limit / -Remaining / -Reset trio.
//
// Everything here is a pure function of its arguments: "now" is passed in, no locale,
// no time zone, no strptime/timegm.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace codex::net {

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 requires recipients to
/// accept: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850 form
/// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
/// `now` resolves RFC 850's two-digit year: a year more than 50 years ahead of `now`
/// is taken from the previous century. Names are matched case-insensitively; the day
/// name is checked for spelling, not against the date. Leap second 60 is accepted.
/// Returns nullopt for anything else (invalid dates such as 31 Feb included, and dates
/// that system_clock cannot hold: before 1678 or after 2261).
/// Thread-safe (pure).
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now) noexcept;

/// Parses a Retry-After value into how long to wait from `now`: delta-seconds ("120";
/// a decimal fraction such as "1.5" is tolerated) or an HTTP-date (rounded up to the
/// millisecond; a date in the past gives 0). Surrounding blanks are ignored; waits
/// beyond 10^9 s (of either form) saturate there. Returns nullopt for garbage. Thread-safe (pure).
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) noexcept;

/// Parses a non-negative decimal integer (surrounding blanks allowed). nullopt on
/// garbage or overflow. Thread-safe (pure).
std::optional<std::uint64_t> parse_unsigned(std::string_view value) noexcept;

/// The optional X-RateLimit-* headers of one response, parsed. Each field is absent
/// when the header was absent or malformed: they are hints, never required.
struct rate_limit_headers {
  std::optional<std::uint64_t> limit;              ///< X-RateLimit-Limit
  std::optional<std::uint64_t> remaining;          ///< X-RateLimit-Remaining
  std::optional<std::chrono::milliseconds> reset;  ///< X-RateLimit-Reset, as a wait from now
};

/// Parses the X-RateLimit-* values (pass nullopt for an absent header). Reset is read
/// as the contract defines it — seconds from now (a decimal fraction is tolerated) —
/// except that a value above 10^9 is taken as a Unix time, as some servers send it,
/// and converted to a wait from `now` (0 if past). Thread-safe (pure).
rate_limit_headers parse_rate_limit_headers(std::optional<std::string_view> limit,
                                            std::optional<std::string_view> remaining,
                                            std::optional<std::string_view> reset,
                                            std::chrono::system_clock::time_point now) noexcept;

}  // namespace codex::net
