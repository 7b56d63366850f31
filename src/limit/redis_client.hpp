#pragma once
// A small Redis client on the caller's Asio event loop: hiredis formats commands
// (redisFormatCommandArgv) and parses replies (redisReader); the socket, the timers and
// the reconnect loop are ours, so nothing blocks the event loop and every wait has a
// deadline. Knows nothing about rate limits.
//
// One connection per client. Commands from any thread queue up and are pipelined: the
// connection's loop writes everything queued in one write and reads the replies in
// order. A broken or slow connection (no reply within reply_timeout) is closed; the
// commands of that round fail (connection_closed / timeout) and the loop reconnects
// with capped, jittered exponential backoff. Commands issued while disconnected wait
// for the connection, each until its own deadline.

#include "limit/redis_reply_reader.hpp"

#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace codex::limit {

/// Where Redis listens, parsed from `redis://host:port[/db]` or `unix:///path`.
struct redis_endpoint {
  std::string host;      ///< empty for a unix socket
  std::uint16_t port = 6379;
  std::string path;      ///< the unix socket's path; empty for TCP
  unsigned db = 0;

  bool is_unix() const noexcept { return !path.empty(); }
  /// "redis://host:port/db" or "unix:///path" (for logs: URLs hold no secret here).
  std::string to_string() const;
};

/// Parses a Redis URL (no query, no user/password). Pure. Errors: errc::invalid_argument.
result<redis_endpoint> parse_redis_endpoint(std::string_view url);

/// Formats one command in RESP (hiredis's redisFormatCommandArgv). Pure.
std::string format_redis_command(const std::vector<std::string>& args);

struct redis_client_options {
  redis_endpoint endpoint;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(1);
  std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(500);
  std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(20);
  std::chrono::milliseconds reconnect_max = std::chrono::seconds(1);
};

/// Counters, for tests and benchmarks.
struct redis_client_stats {
  std::uint64_t commands = 0;     ///< commands written
  std::uint64_t round_trips = 0;  ///< writes of one or more pipelined commands
  std::uint64_t connects = 0;     ///< successful connections
  std::uint64_t failures = 0;     ///< connections that failed or broke
};

/// Thread-safety: exec(), connected(), stats() and stop() may be called from any thread.
class redis_client : public std::enable_shared_from_this<redis_client> {
 public:
  /// Starts the connection loop on `executor` (it connects at once).
  static std::shared_ptr<redis_client> start(asio::any_io_executor executor, redis_client_options options);

  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  /// Sends one command and returns its reply (a Redis error reply is a reply, not an
  /// error). Errors: errc::timeout (no reply by `deadline`, connected or not),
  /// errc::connection_closed (the connection broke with the command in flight: it may
  /// or may not have run), errc::cancelled (stop(), or the caller's cancellation),
  /// errc::protocol_error (unparsable reply).
  asio::awaitable<result<redis_reply>> exec(std::vector<std::string> args,
                                            std::chrono::steady_clock::time_point deadline);

  /// Whether the connection is up (a hint: it may break the next moment).
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }

  redis_client_stats stats() const noexcept;

  /// Ends the connection loop; queued and later commands fail with errc::cancelled.
  void stop();

 private:
  struct pending;
  struct state;
  redis_client(asio::any_io_executor executor, redis_client_options options);
  static asio::awaitable<void> run(std::shared_ptr<redis_client> self);
  void fail_queued(const std::error_code& code);

  std::unique_ptr<state> state_;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> commands_{0}, round_trips_{0}, connects_{0}, failures_{0};
};

}  // namespace codex::limit
