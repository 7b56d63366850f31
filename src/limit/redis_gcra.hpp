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
// a lease grants as many of the `count` slots as are ready by then. A push (Retry-After)
// raises TAT to now + wait + tau, never lowers it.

#include <cstdint>
#include <string>
#include <string_view>

namespace codex::limit::redis_gcra {

/// The Lua source. KEYS[1] = the key. ARGV: mode ("A" acquire | "P" push),
/// interval_us, tolerance_us, then for "A": count, max_wait_us, floor_us; for "P":
/// wait_us; then optionally now_us (tests only: replaces TIME so that the C++ reference
/// can be compared step by step). Reply: {granted, base_offset_us, now_us}.
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

/// When slot k of a grant is ready, as an offset from the script's `now` (µs, ≥ 0).
std::int64_t slot_offset(const step_result& r, const params& p, std::int64_t k);

}  // namespace codex::limit::redis_gcra
