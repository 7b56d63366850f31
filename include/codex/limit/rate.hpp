#pragma once
// codex::limit::rate_limit — "how many requests per how long, with what burst" — and
// its text form ("1000/60s", "120/10s", "1000/min", "10/s,burst=20").

#include <codex/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace codex::limit {

/// A client-side rate: at most `limit` requests per `period`, of which up to `burst`
/// may go back to back. A plain value; thread-safe to copy and read.
///
/// Default: the contract's 1,000 requests per 60 s with burst 1. Burst 1 means the
/// limiter spaces requests evenly, one per emission interval (60 ms): over *every*
/// half-open window of 60 s at most 1,000 requests leave, whatever algorithm the
/// server counts with (GCRA, sliding log or fixed window). A larger burst lets idle
/// clients send a few requests at once but admits up to `limit + burst - 1` in a
/// window; use it only against a server whose bucket is at least that deep (the
/// contract's GCRA bucket holds `limit`).
struct rate_limit {
  std::uint64_t limit = 1000;                                  ///< requests per period, ≥ 1
  std::chrono::nanoseconds period = std::chrono::seconds(60);  ///< the window, > 0
  std::uint64_t burst = 1;                                     ///< requests that may go back to back, ≥ 1

  /// period / limit, rounded up so that rounding never admits more than `limit`.
  /// Precondition: valid().
  std::chrono::nanoseconds emission_interval() const noexcept {
    return std::chrono::nanoseconds((period.count() + static_cast<std::int64_t>(limit) - 1) /
                                    static_cast<std::int64_t>(limit));
  }

  /// limit ≥ 1, burst ≥ 1, period > 0, and burst × interval fits the time axis.
  bool valid() const noexcept;

  /// Field by field ("1000/60s" and "1000/min" are equal; "1000/60s" and "500/30s" are not).
  friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

/// The contract's per-key rate: 1,000 requests per minute, burst 1.
inline constexpr rate_limit contract_default_rate{};

/// Parses "LIMIT/[N]UNIT[,burst=B]" — e.g. "1000/60s", "120/10s", "50/1s", "1000/min",
/// "10/s", "600/1m,burst=20". Units: ns, us, ms, s, sec, m, min, h, hour (N defaults to 1).
/// Surrounding blanks are ignored. Errors: errc::invalid_argument for anything else,
/// for zero values, and for rates finer than one request per nanosecond, with a message
/// that says what is wrong and the form expected (never the text itself).
result<rate_limit> parse_rate_limit(std::string_view text);

/// The canonical text form, which parse_rate_limit() reads back: "1000/60s" (",burst=B"
/// appended when burst ≠ 1; the period in whole seconds, else ms, else ns).
std::string to_string(const rate_limit& rate);

}  // namespace codex::limit
