#pragma once
// What the limiter stage asks of a rate limiter, whichever keeps the schedule: the
// in-process GCRA (local_limiter) or the shared one in Redis (redis_limiter).

#include "limit/gcra.hpp"
#include <codex/result.hpp>

#include <asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace codex::limit {

/// One admitted request: it may go at `ready_at` (steady clock), and no later than
/// `use_by`.
struct slot {
  std::chrono::steady_clock::time_point ready_at;
  /// Sent later than this, the request would go closer to the slots after it than the
  /// schedule allows (those keep their times): a thread held up past it — a blocking
  /// write on the event loop, a descheduled process — takes a fresh slot instead.
  std::chrono::steady_clock::time_point use_by = std::chrono::steady_clock::time_point::max();
  std::optional<reservation> local;  ///< set when an in-process GCRA issued it (can be given back)
  std::int64_t shared_tat = 0;       ///< the Redis TAT its step stored (0: none), to give it back while unchanged
};

/// How late a slot of a schedule with emission interval `interval` may still be used:
/// one interval, and never less than 5 ms (timer and scheduling jitter).
inline std::chrono::steady_clock::duration slot_slack(std::chrono::nanoseconds interval) noexcept {
  return std::max<std::chrono::steady_clock::duration>(interval, std::chrono::milliseconds(5));
}

/// Whether `s`, ready by `now`, has been left too long to be used (see slot::use_by).
inline bool is_stale(const slot& s, std::chrono::steady_clock::time_point now) noexcept { return now > s.use_by; }

/// Thread-safety: every member may be called concurrently.
class limiter_backend {
 public:
  virtual ~limiter_backend() = default;

  /// A slot for one request. Errors: errc::deadline_too_short when the next slot comes
  /// after `deadline` (nothing is committed then); errc::timeout when the schedule's
  /// keeper (Redis) did not answer before `deadline`; errc::cancelled.
  virtual asio::awaitable<result<slot>> acquire(std::chrono::steady_clock::time_point deadline) = 0;

  /// What acquire() would return, when the backend knows it without waiting (the
  /// in-process GCRA always does); nullopt otherwise: then co_await acquire().
  virtual std::optional<result<slot>> try_acquire_now(std::chrono::steady_clock::time_point now,
                                                      std::chrono::steady_clock::time_point deadline) {
    (void)now;
    (void)deadline;
    return std::nullopt;
  }

  /// Gives back a slot whose request was not sent, when possible (never unsafe).
  virtual void release(const slot& s) noexcept = 0;

  /// A 429's Retry-After: no request before `until`, for every user of the schedule.
  virtual void push_back_until(std::chrono::steady_clock::time_point until) = 0;

  /// X-RateLimit-* pacing (see gcra::pace_from_headers); a no-op where not supported.
  virtual void pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                                 std::optional<std::uint64_t> server_limit) = 0;
};

/// The in-process backend over a (shared) lock-free GCRA, on the steady clock.
class local_limiter final : public limiter_backend {
 public:
  explicit local_limiter(std::shared_ptr<gcra> limiter) : limiter_(std::move(limiter)) {}

  asio::awaitable<result<slot>> acquire(std::chrono::steady_clock::time_point deadline) override;
  std::optional<result<slot>> try_acquire_now(std::chrono::steady_clock::time_point now,
                                              std::chrono::steady_clock::time_point deadline) override {
    return try_acquire(now, deadline);
  }
  void release(const slot& s) noexcept override;
  void push_back_until(std::chrono::steady_clock::time_point until) override;
  void pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                         std::optional<std::uint64_t> server_limit) override;

  /// The non-suspending acquire (what acquire() does).
  result<slot> try_acquire(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point deadline);

  gcra& limiter() noexcept { return *limiter_; }

 private:
  std::shared_ptr<gcra> limiter_;
};

}  // namespace codex::limit
