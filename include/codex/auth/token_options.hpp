#pragma once
// codex::auth::token_cache_options — when the SDK refreshes a Bearer token from client
// credentials (config::token). Options only: the cache itself is the SDK's own.

#include <chrono>

namespace codex::auth {

/// Tuning of the token cache. Defaults suit the contract's one-hour tokens and keep
/// working for tokens of a few seconds (tests use 2–3 s).
struct token_cache_options {
  /// The background refresh starts this fraction of the lifetime before expiry...
  double refresh_fraction = 0.10;
  /// ...but never earlier than this before expiry: "the last 10 % or 60 s, whichever is less".
  std::chrono::milliseconds max_refresh_window = std::chrono::seconds(60);
  /// Taken off the expiry for clock skew and time in flight; at most 10 % of the lifetime.
  std::chrono::milliseconds expiry_margin = std::chrono::seconds(30);
  /// The lifetime assumed when the server states none usable (a 401 still invalidates).
  std::chrono::milliseconds unknown_lifetime = std::chrono::minutes(5);
  /// After a transient refresh failure the next refresh waits this long, doubling per
  /// consecutive failure up to failure_backoff_max, with jitter in its upper half.
  std::chrono::milliseconds failure_backoff_initial = std::chrono::milliseconds(500);
  std::chrono::milliseconds failure_backoff_max = std::chrono::seconds(30);  ///< the cap of that backoff
};

}  // namespace codex::auth
