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
//
// Every (re)connection is verified before its first command: TLS (rediss://), then the
// handshake (AUTH, SELECT) — sent in the same write as the commands waiting for it, or
// alone when none is. A refusal (is_refusal: bad credentials, an untrusted certificate)
// fails the waiting commands with it and every later one at once, until a
// reconnection, still attempted with backoff, is accepted.

#include "limit/redis_endpoint.hpp"
#include "limit/redis_reply_reader.hpp"

#include <codex/auth/secret.hpp>
#include <codex/net/tls_options.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codex::limit {

/// Formats one command in RESP (hiredis's redisFormatCommandArgv). Pure.
std::string format_redis_command(const std::vector<std::string>& args);

/// What a new connection sends before anything else, in this order.
enum class handshake_step { auth, select, role };

/// The handshake of `endpoint`: AUTH when it has a password, SELECT when db != 0, and
/// ROLE behind Sentinel (the address it gave must be a master still). Pure.
std::vector<handshake_step> handshake_steps(const redis_endpoint& endpoint);

/// The handshake's commands, RESP, in one string (it holds the password: wipe it after
/// use). Pure.
std::string format_handshake(const redis_endpoint& endpoint, const std::vector<handshake_step>& steps);

/// What Redis's reply to one handshake step means: nullopt when it was accepted, else
/// the typed refusal — errc::credentials_rejected (WRONGPASS, NOAUTH, a password given
/// to a Redis without one), errc::invalid_argument (SELECT refused) — naming the
/// endpoint and Redis's own words, never the password. Pure.
std::optional<error_info> handshake_refusal(handshake_step step, const redis_reply& reply, const redis_endpoint& endpoint);

/// A Sentinel's answer to `SENTINEL get-master-addr-by-name`: the master's address, or
/// nullopt when this Sentinel does not know it (nil, an error, anything else). Pure.
std::optional<sentinel_address> master_from_sentinel(const redis_reply& reply);

/// Whether a message on Sentinel's +switch-master channel announces a new master for
/// `master_name` ("<name> <old-ip> <old-port> <new-ip> <new-port>"). Pure.
bool is_switch_of(const redis_reply& message, std::string_view master_name);

/// Whether a reply says the node is no longer the master (READONLY, also inside a
/// script's error): the connection is then dropped and the master asked again. Pure.
bool is_not_master(const redis_reply& reply) noexcept;

/// Whether `code` says the configuration is wrong (bad credentials, an untrusted or
/// misnamed certificate, a refused client certificate, a refused database): retrying
/// will not help until someone changes it, so callers fail at once. Pure.
bool is_refusal(const std::error_code& code) noexcept;

struct redis_client_options {
  redis_endpoint endpoint;
  /// With a rediss:// endpoint: the trust store (ca_file; the system store when none)
  /// and the client certificate, as for the API (TLS >= 1.2, SNI, host check).
  net::tls_options tls;
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
  std::uint64_t refusals = 0;     ///< connection attempts refused (see is_refusal)
  std::uint64_t master_changes = 0;  ///< behind Sentinel: connections to another master than the last
};

/// Behind Sentinel, every (re)connection asks the Sentinels in turn for the master,
/// connects to it and checks ROLE; Sentinel's +switch-master (one subscription, kept
/// open), a READONLY reply or a dropped connection (a failover) leads to the new master
/// the same way, within each command's own deadline.
///
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
  /// errc::protocol_error (unparsable reply), and the refusal of the last connection
  /// attempt (see refusal()) at once.
  asio::awaitable<result<redis_reply>> exec(std::vector<std::string> args,
                                            std::chrono::steady_clock::time_point deadline);

  /// Whether the connection is up (a hint: it may break the next moment).
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
  /// Whether Redis is known to be away: a connection attempt failed or the connection
  /// broke, and none has been verified since. False while the first connection (or a
  /// planned switch to a new master) is still being made: not connected yet is not
  /// the same as unreachable.
  bool unreachable() const noexcept { return unreachable_.load(std::memory_order_acquire); }

  /// Why the last connection attempt was refused (is_refusal), while that holds.
  std::optional<error_info> refusal() const;

  redis_client_stats stats() const noexcept;
  /// stats().master_changes alone (cheap: one load).
  std::uint64_t master_changes() const noexcept { return master_changes_.load(std::memory_order_acquire); }

  /// Ends the connection loop; queued and later commands fail with errc::cancelled.
  void stop();

 private:
  struct pending;
  struct state;
  redis_client(asio::any_io_executor executor, redis_client_options options);
  static asio::awaitable<void> run(std::shared_ptr<redis_client> self);
  static asio::awaitable<void> watch_sentinels(std::shared_ptr<redis_client> self);
  void fail_queued(const std::error_code& code);

  std::unique_ptr<state> state_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> unreachable_{false};
  std::atomic<std::uint64_t> commands_{0}, round_trips_{0}, connects_{0}, failures_{0}, refusals_{0}, master_changes_{0};
};

}  // namespace codex::limit
