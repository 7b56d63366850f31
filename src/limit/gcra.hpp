#pragma once
// codex::limit::gcra — a lock-free GCRA (generic cell rate algorithm) limiter: one atomic
// theoretical arrival time (TAT), advanced with compare-and-swap. It never sleeps and
// never locks: it says *when* a request may go; the caller waits on its own timer.

#include <codex/limit/rate.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace codex::limit {

/// A point on the limiter's time axis: nanoseconds since the epoch of the caller's
/// clock (e.g. `steady_clock::now().time_since_epoch()`). Every caller of one limiter
/// must use the same clock. Supported range: |t| < 2^61 ns (about 73 years).
using time_ns = std::chrono::nanoseconds;

/// One committed slot: the request may go at `ready_at` (never before the `now` it was
/// reserved with). `tat_after` identifies the slot for gcra::cancel().
struct reservation {
  time_ns ready_at{};   ///< when the request may go
  time_ns tat_after{};  ///< the theoretical arrival time this reservation left behind

  /// How long the caller must wait from `now` (zero when ready).
  std::chrono::nanoseconds delay(time_ns now) const noexcept {
    return ready_at > now ? ready_at - now : std::chrono::nanoseconds::zero();
  }
};

/// GCRA limiter. Emission interval T = period / limit; tolerance tau = (burst - 1) × T.
/// A request reserved at `now` is ready at max(now, TAT - tau) and moves TAT to
/// max(TAT, now) + T. Hence over any window of length W the ready times of the
/// reservations satisfy  count ≤ W / T + burst  (and ≤ W / T + burst - 1 for a
/// half-open window when W is a multiple of T).
///
/// Stale times are harmless: TAT never moves backwards (max(TAT, now) — the bug of
/// golang/go#71360, where a caller's old `now` rewound the state and over-admitted,
/// cannot happen). A caller whose `now` is δ old gets a ready time up to δ in the past
/// and at most δ / T extra requests can leave at once: read the clock just before
/// reserve().
///
/// Thread-safety: every member function may be called concurrently; none blocks, none
/// allocates. Errors: none (the constructor throws codex::error with
/// errc::invalid_argument for an invalid rate).
class alignas(64) gcra {
 public:
  /// A limiter for `rate` (default: the contract's 1,000/60 s, burst 1), with a full
  /// burst available at once.
  explicit gcra(const rate_limit& rate = contract_default_rate);

  gcra(const gcra&) = delete;
  gcra& operator=(const gcra&) = delete;

  /// Commits a slot for a request made at `now` and returns when it may go (≥ now).
  reservation reserve(time_ns now) noexcept;

  /// Like reserve(), but commits nothing and returns nullopt if the request could not
  /// go by `latest_allowed` (e.g. the call's deadline): the caller then fails at once
  /// with errc::deadline_too_short instead of sleeping into its deadline.
  std::optional<reservation> try_reserve(time_ns now, time_ns latest_allowed) noexcept;

  /// When a request made at `now` could go, without committing anything.
  time_ns ready_time(time_ns now) const noexcept;

  /// Gives a slot back — only if it is still the most recent one (no reservation and no
  /// push_back_until() since); otherwise does nothing, which is always safe (the slot
  /// stays consumed). Returns whether it was given back. Call it at most once per
  /// reservation, and only for a request that was not sent (e.g. a cancelled waiter).
  bool cancel(const reservation& r) noexcept;

  /// A 429's Retry-After: admits nothing before `t`, then resumes at the steady rate
  /// (no burst). Monotonic: never moves TAT backwards. Returns whether TAT moved.
  bool push_back_until(time_ns t) noexcept;

  /// Optional pacing from X-RateLimit-* headers seen at `now`: at most `remaining` more
  /// requests leave at once, the next one no sooner than one server interval later.
  /// The server interval is reset / (server_limit - remaining) when both are known
  /// (the contract's Reset counts seconds until the bucket is full), else T; never less
  /// than T. Only ever slows the limiter down; a no-op when `remaining` ≥ burst.
  /// Returns whether TAT moved.
  bool pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                         std::optional<std::uint64_t> server_limit, time_ns now) noexcept;

  /// The rate the limiter was made with.
  const rate_limit& rate() const noexcept { return rate_; }
  /// T: the steady spacing of requests (rate_limit::emission_interval()).
  std::chrono::nanoseconds emission_interval() const noexcept { return time_ns(interval_); }
  /// tau = (burst - 1) × T: how far ahead of the steady schedule a request may go.
  std::chrono::nanoseconds tolerance() const noexcept { return time_ns(tolerance_); }
  /// The current theoretical arrival time (for tests and diagnostics).
  time_ns theoretical_arrival() const noexcept { return time_ns(tat_.load(std::memory_order_acquire)); }

 private:
  // Raises TAT to at least `target`. Returns whether it moved.
  bool raise_to(std::int64_t target) noexcept;

  std::atomic<std::int64_t> tat_;
  std::int64_t interval_;   // T, ns
  std::int64_t tolerance_;  // tau, ns
  rate_limit rate_;
};

}  // namespace codex::limit
