#pragma once
// codex::limit::limiter_registry — the process-wide set of GCRA limiters, one per
// (credential, rate), so that every client of one key in the process shares one bucket.

#include "limit/gcra.hpp"
#include <codex/result.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace codex::limit {

/// A stable, non-secret name for a credential: "sha256:" + the hex SHA-256 of
/// (kind, origin, credential), e.g. credential_identity("api_key", base_url, key).
/// Use the client_id (not the secret) for client credentials. Thread-safe; never
/// fails (OpenSSL's SHA-256 cannot fail on in-memory input).
std::string credential_identity(std::string_view kind, std::string_view origin,
                                std::string_view credential);

/// Limiters shared by identity and rate. The registry never holds a secret: it keys its
/// table by a SHA-256 of the identity it is given (callers should still pass a
/// credential_identity(), so that a secret does not travel further than needed).
///
/// Limiters live as long as the registry (a few dozen bytes each): a client that is
/// destroyed and recreated for the same key finds the bucket where it left it, rather
/// than a fresh full burst the server would not grant.
///
/// Thread-safety: all members may be called concurrently. A mutex guards the lookup
/// only; the returned limiter is lock-free.
class limiter_registry {
 public:
  limiter_registry() = default;
  limiter_registry(const limiter_registry&) = delete;
  limiter_registry& operator=(const limiter_registry&) = delete;

  /// The registry of the process (a function-local static).
  static limiter_registry& global();

  /// The limiter of `identity` at `rate`: the same object for the same pair, a new one
  /// (with a full burst) the first time. Errors: errc::invalid_argument for an invalid rate.
  result<std::shared_ptr<gcra>> get(std::string_view identity, const rate_limit& rate);

  /// Number of limiters held.
  std::size_t size() const;

  /// Drops every limiter (clients that hold one keep it). For tests and credential rotation.
  void clear();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<gcra>> limiters_;
};

}  // namespace codex::limit
