#pragma once
// The GCRA step that Redis runs for every check — a Lua script — and the same step in
// C++ (pure), which is the reference the script is tested against.
//
// Time is in microseconds on REDIS's clock (TIME), never the caller's, so that hosts
// with skewed clocks share one schedule. The script answers with offsets from its own
// `now`; the caller turns them into local steady-clock times.
//
// The state is one key holding TAT (the theoretical arrival time, µs). A step at `now`
// for `count` slots with tolerance tau and interval T, as limit::gcra::reserve() does
// `count` times in a row:
//   tat  = max(stored TAT, now + floor)   (floor: 0, or a push from a fallback period)
//   base = max(tat, now)
//   slot k (0 ≤ k < granted) is ready at now + max(0, base - now + k·T - tau)
//   TAT' = base + granted·T
// Nothing is committed (granted = 0) when slot 0 would be ready after now + max_wait;
// a lease grants as many of the `count` slots as are ready by then. A push (Retry-After,
// or X-RateLimit-* pacing: pace_wait) raises TAT to now + wait + tau, never lowers it.
// A release gives the last slot of a grant back (TAT' = TAT - T) only while TAT is still
// what that grant stored (no check, push or release since) and the slot is still ahead.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::limit::redis_gcra {

/// The Lua source. KEYS[1] = the key. ARGV: mode ("A" acquire | "P" push | "R"
/// release), interval_us, tolerance_us, then for "A": count, max_wait_us, floor_us; for
/// "P": wait_us (may be negative); for "R": the TAT the grant stored; then optionally
/// now_us (tests only: replaces TIME so that the C++ reference can be compared step by
/// step). Reply: {granted (for "R": 1 if given back), base_offset_us, now_us, the TAT
/// after the step as a string}.
std::string_view script();

/// SHA-1 of script(), hex (what EVALSHA takes). Pure.
const std::string& script_sha1();

struct params {
  std::int64_t interval_us = 0;
  std::int64_t tolerance_us = 0;
};

struct step_result {
  std::int64_t granted = 0;      ///< slots committed (0: none fit in max_wait)
  std::int64_t base_offset = 0;  ///< base - now (µs, ≥ 0); with granted = 0: slot 0's wait
  std::int64_t tat = 0;          ///< the stored TAT after the step
};

/// The acquire step (pure). `tat` is the stored TAT (0 when the key is absent).
step_result acquire(std::int64_t tat, std::int64_t now, const params& p, std::int64_t count,
                    std::int64_t max_wait, std::int64_t floor);

/// The push step (pure): the stored TAT after a Retry-After of `wait` µs.
std::int64_t push(std::int64_t tat, std::int64_t now, const params& p, std::int64_t wait);

/// The release step (pure): the stored TAT after giving back the last slot of the grant
/// that stored `granted_tat`.
std::int64_t release(std::int64_t tat, std::int64_t now, const params& p, std::int64_t granted_tat);

/// X-RateLimit-* pacing as a push (pure): the wait for the "P" step that makes exactly
/// `remaining` slots ready now and the next one a server interval later (reset /
/// (server_limit - remaining), never less than ours) — limit::gcra::pace_from_headers
/// on the shared schedule; nullopt when there is nothing to slow (remaining >= burst).
std::optional<std::int64_t> pace_wait(std::uint64_t remaining, std::optional<std::int64_t> reset_us,
                                      std::optional<std::uint64_t> server_limit, const params& p);

/// When slot k of a grant is ready, as an offset from the script's `now` (µs, ≥ 0).
std::int64_t slot_offset(const step_result& r, const params& p, std::int64_t k);

}  // namespace codex::limit::redis_gcra
