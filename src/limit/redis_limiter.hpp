#pragma once
// The rate-limit policy over Redis: a GCRA schedule shared by every process and host
// that uses one credential (see redis_gcra.hpp for the step Redis runs, and
// redis_client.hpp for the wire). This file decides what to ask and what to do when
// Redis does not answer; it never touches a socket.

#include "limit/limiter_backend.hpp"
#include "limit/redis_client.hpp"
#include "limit/redis_gcra.hpp"

#include <codex/limit/backend.hpp>
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
};

/// Thread-safety: every member may be called concurrently.
class redis_limiter final : public limiter_backend {
 public:
  /// Errors: throws codex::error (errc::invalid_argument) for a bad URL, share, lease or rate.
  redis_limiter(asio::any_io_executor executor, const redis_limiter_options& options, const rate_limit& rate,
                std::string_view identity);
  ~redis_limiter() override;  ///< stops the connection

  asio::awaitable<result<slot>> acquire(std::chrono::steady_clock::time_point deadline) override;
  void release(const slot& s) noexcept override;
  void push_back_until(std::chrono::steady_clock::time_point until) override;
  /// Not applied to the shared schedule (a per-process hint: Redis keeps the truth).
  void pace_from_headers(std::uint64_t, std::optional<std::chrono::nanoseconds>, std::optional<std::uint64_t>) override {}

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

  redis_limiter_options options_;
  redis_gcra::params params_;
  std::string key_;
  asio::any_io_executor executor_;
  std::shared_ptr<redis_client> client_;
  std::shared_ptr<gcra> fallback_;                 // at fallback_share of the rate
  std::atomic<bool> fallback_used_{false};         // since the last answer from Redis
  std::atomic<std::int64_t> push_floor_{0};        // steady ns: nothing before (Retry-After)
  std::atomic<std::int64_t> latest_slot_{0};       // steady ns: the latest slot Redis gave this process
  std::atomic<std::uint64_t> masters_seen_{0};     // the connection's master_changes() when last answered
  std::mutex lease_mutex_;
  std::deque<clock::time_point> leased_;
  std::atomic<std::uint64_t> admitted_{0}, evals_{0}, script_loads_{0}, fallback_slots_{0}, failures_{0};
};

}  // namespace codex::limit
