#pragma once
// Where a Redis limiter connects, as its URL says: pure parsing, no Redis client (so
// the core SDK reads --limiter and CODEX_LIMITER_URL even when built without Redis).

#include <codex/auth/secret.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codex::limit {

/// One Sentinel's address.
struct sentinel_address {
  std::string host;
  std::uint16_t port = 26379;
  bool operator==(const sentinel_address&) const = default;
};

/// Where Redis listens and how to log in, parsed from
/// `redis://[user[:password]@]host:port[/db]`, `rediss://…` (TLS), `unix:///path`, or
/// `redis+sentinel://[user[:password]@]h1:26379,h2:26379/master_name[/db]` (the
/// master is asked of the Sentinels on every connection; user and password are the
/// master's, the Sentinels are asked without).
struct redis_endpoint {
  std::string host;      ///< empty for a unix socket
  std::uint16_t port = 6379;
  std::string path;      ///< the unix socket's path; empty for TCP
  unsigned db = 0;
  bool tls = false;      ///< rediss://: TLS on our own stream
  std::string user;      ///< the ACL user; empty: AUTH with the password alone (user "default")
  auth::secret password; ///< empty: no AUTH
  std::vector<sentinel_address> sentinels;  ///< redis+sentinel:// only, in the URL's order
  std::string master_name;                  ///< redis+sentinel:// only

  bool is_unix() const noexcept { return !path.empty(); }
  bool is_sentinel() const noexcept { return !sentinels.empty(); }
  /// The URL without the password ("rediss://user@host:port/db", "unix:///path"):
  /// what logs and errors show, and what parses back to this endpoint minus its password.
  std::string to_string() const;
};

/// Parses a Redis URL (no query). The user and password are percent-decoded; the
/// password goes straight into a secret. Pure. Errors: errc::invalid_argument, with a
/// message that never holds the password.
result<redis_endpoint> parse_redis_endpoint(std::string_view url);

}  // namespace codex::limit
