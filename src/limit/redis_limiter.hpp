#pragma once
// The rate-limit policy over Redis: a GCRA schedule shared by every process and host
// that uses one credential (see redis_gcra.hpp for the step Redis runs, and
// redis_client.hpp for the wire). This file decides what to ask and what to do when
// Redis does not answer; it never touches a socket.

#include "limit/limiter_backend.hpp"
#include "limit/redis_client.hpp"
#include "limit/redis_gcra.hpp"

#include <codex/limit/limiter_options.hpp>
#include <codex/limit/rate.hpp>

#include <asio/any_io_executor.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>

namespace codex::limit {

/// Counters, for tests and benchmarks.
struct redis_limiter_stats {
  std::uint64_t admitted = 0;        ///< slots handed out (from Redis, leases included)
  std::uint64_t evals = 0;           ///< acquire round trips that reached Redis
  std::uint64_t script_loads = 0;    ///< SCRIPT LOADs after NOSCRIPT
  std::uint64_t fallback_slots = 0;  ///< slots from the local fallback limiter
  std::uint64_t failures = 0;        ///< round trips that failed (Redis down, slow, error reply)
  std::uint64_t releases = 0;        ///< slots from Redis offered back (given back if still safe)
  std::uint64_t paces = 0;           ///< X-RateLimit-* pushes sent to the shared schedule
};

/// Thread-safety: every member may be called concurrently.
class redis_limiter final : public limiter_backend {
 public:
  /// Errors: throws codex::error (errc::invalid_argument) for a bad URL, share, lease or rate.
  redis_limiter(asio::any_io_executor executor, const redis_limiter_options& options, const rate_limit& rate,
                std::string_view identity);
  ~redis_limiter() override;  ///< stops the connection

  asio::awaitable<result<slot>> acquire(std::chrono::steady_clock::time_point deadline) override;
  /// Gives a slot back: a fallback one at once; a Redis one (lease 1) in one Lua step
  /// that returns it only while the shared schedule has not moved since it was granted.
  void release(const slot& s) noexcept override;
  /// A 429's Retry-After: here at once, and one push of the shared schedule for all.
  void push_back_until(std::chrono::steady_clock::time_point until) override;
  /// X-RateLimit-* seen by this process push the shared schedule for every process
  /// (redis_gcra::pace_wait), once per new target.
  void pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                         std::optional<std::uint64_t> server_limit) override;

  redis_limiter_stats stats() const noexcept;
  const redis_client& connection() const noexcept { return *client_; }
  /// The Redis key: key_prefix + the credential's identity (a hash, never the secret).
  const std::string& key() const noexcept { return key_; }

 private:
  using clock = std::chrono::steady_clock;
  asio::awaitable<result<redis_reply>> eval(std::vector<std::string> args, clock::time_point deadline);
  result<slot> from_fallback(clock::time_point now, clock::time_point deadline);
  std::optional<clock::time_point> take_leased(clock::time_point now);
  clock::time_point after_push(clock::time_point ready) const noexcept;
  void raise_floor(clock::time_point until) noexcept;
  void push_shared(std::int64_t wait_us);
  void send_step(std::vector<std::string> args);

  redis_limiter_options options_;
  redis_gcra::params params_;
  std::string key_;
  asio::any_io_executor executor_;
  std::shared_ptr<redis_client> client_;
  std::shared_ptr<gcra> fallback_;                 // at fallback_share of the rate
  std::atomic<bool> fallback_used_{false};         // since the last answer from Redis
  std::atomic<std::int64_t> push_floor_{0};        // steady ns: nothing before (Retry-After)
  std::atomic<std::int64_t> paced_until_{0};       // steady ns: the last X-RateLimit push's target
  std::atomic<std::int64_t> latest_slot_{0};       // steady ns: the latest slot Redis gave this process
  std::atomic<std::uint64_t> masters_seen_{0};     // the connection's master_changes() when last answered
  std::mutex lease_mutex_;
  std::deque<clock::time_point> leased_;
  std::atomic<std::uint64_t> admitted_{0}, evals_{0}, script_loads_{0}, fallback_slots_{0}, failures_{0}, releases_{0}, paces_{0};
};

}  // namespace codex::limit
