#pragma once
// codex::limit — where a credential's rate limit is kept: in the process (the default,
// a lock-free GCRA shared by every client of the key in the process) or in Redis (one
// GCRA schedule shared by every process and host that uses the key).

#include <codex/auth/secret.hpp>
#include <codex/net/tls_options.hpp>
#include <codex/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace codex::limit {

/// The in-process limiter (the default): every client of one credential in this
/// process shares one bucket; other processes know nothing of it.
struct local_limiter_options {};

/// What a Redis-backed limiter does when Redis does not answer (down, restarting, slow).
enum class when_redis_unavailable {
  /// Keep asking (the connection reconnects with backoff) until the call's deadline;
  /// the call then fails with errc::timeout. Nothing is sent unscheduled. The default.
  wait,
  /// Go on at once with an in-process limiter at `fallback_share` of the limit; the
  /// shared schedule takes over again as soon as Redis answers, continuing after the
  /// last fallback slot (no burst on recovery).
  local_fallback,
};

/// A GCRA kept in Redis: one atomic Lua step per check (EVALSHA; SCRIPT LOAD again on
/// NOSCRIPT), on Redis's own clock (TIME), so hosts with skewed clocks share one
/// schedule. The key is `key_prefix` + a SHA-256 of the credential, never the secret.
/// A 429's Retry-After seen by one process pushes the schedule of all.
///
/// Cost: one round trip per admitted request (lease = 1), or one per `lease` requests;
/// leased slots that go unused are lost (the limiter only ever errs on the slow side).
/// Needs codex-cpp built with Redis support (the default where hiredis is found): without
/// it, a client given these options throws codex::error with errc::not_supported.
/// A plain value; thread-safe to copy and read. The connection it leads to lives on the
/// client's executor while the client exists: a program that waits for
/// `io_context::run()` to return by itself must destroy its clients first.
struct redis_limiter_options {
  /// `redis://[user[:password]@]host:port[/db]` (port default 6379, db default 0),
  /// `rediss://…` (TLS), or `unix:///path/to/redis.sock`. User and password are
  /// percent-encoded; redis() and parse_limiter_url() move a password found here into
  /// `password`, so that this field never holds it.
  std::string url = "redis://127.0.0.1:6379/0";
  /// The password (AUTH, with the URL's user when it names one). Empty: the one in
  /// `url`, else the environment variable CODEX_LIMITER_PASSWORD, read when the
  /// limiter is made (it stays out of process listings), else none. Sent with SELECT
  /// on every (re)connection before the first check; a refused one fails the calls at
  /// once with errc::credentials_rejected. Never printed, logged or put in an error.
  auth::secret password;
  /// For `rediss://`: the CA (ca_file; the system store when none) and a client
  /// certificate (client_certificate_file, client_key_file, client_key_passphrase), as
  /// for the API: TLS >= 1.2, SNI, host name check. A certificate that does not verify
  /// fails the calls at once (errc::certificate_rejected, errc::host_name_mismatch).
  net::tls_options tls;
  when_redis_unavailable when_unavailable = when_redis_unavailable::wait;  ///< what a call does while Redis does not answer
  /// With local_fallback: this process's share of the limit while Redis is away
  /// (e.g. 0.25 for one of four workers), in (0, 1]. At least one request per period.
  double fallback_share = 0.25;
  /// Slots taken per round trip, 1–1000 (for high limits; 1: one round trip per request).
  std::uint32_t lease = 1;
  /// Prefix of the Redis keys.
  std::string key_prefix = "codex:gcra:";
  /// Cap on one TCP/unix connect (+ SELECT); and on one round trip once connected:
  /// past it the connection is dropped and made again (backoff below).
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(1);
  std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(500);  ///< the cap on one round trip
  /// Reconnect backoff: doubles from `reconnect_min` up to `reconnect_max` (full jitter).
  std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(20);
  std::chrono::milliseconds reconnect_max = std::chrono::seconds(1);  ///< the cap of that backoff
};

/// Which limiter a client uses. Default: local_limiter_options.
using limiter_choice = std::variant<local_limiter_options, redis_limiter_options>;

/// A Redis limiter at `url` with the documented defaults (a password in `url` is moved
/// to `password`): `cfg.limiter = codex::limit::redis("redis://127.0.0.1:6379/0");`
redis_limiter_options redis(std::string url);

/// Parses the `--limiter` / CODEX_LIMITER_URL form: "local", or a Redis URL
/// (`redis://[user[:password]@]host:port[/db]`, `rediss://…`, `unix:///path`) with
/// optional query parameters `on_down=wait|local`, `share=0.25`, `lease=N`,
/// `timeout_ms=N` (reply timeout), and for rediss:// `ca_file=PATH`, `cert=PATH`,
/// `key=PATH` (the client certificate and its key), e.g.
/// `rediss://codex@10.0.0.5:6380/0?ca_file=/etc/redis/ca.pem&on_down=local&share=0.25`.
/// A password in the URL goes to redis_limiter_options::password. Pure; thread-safe.
/// Errors: errc::invalid_argument, with a message naming what is wrong.
result<limiter_choice> parse_limiter_url(std::string_view text);

}  // namespace codex::limit
