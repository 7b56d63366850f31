#pragma once
// Bearer tokens from client credentials: a token cache shared by every client of the
// same (base URL, client_id, secret) in the process, refreshed single-flight by a
// POST /auth/token that takes its own limiter slot (it counts against the
// credential's limit, as the contract says) and goes through the call driver like
// every other request.

#include "call/call_machine.hpp"
#include "limit/limiter_backend.hpp"

#include <codex/auth/credentials.hpp>
#include "auth/token_cache.hpp"
#include <codex/net/transport.hpp>
#include <codex/net/url.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace codex::call {

class token_source;
class token_fetcher;

/// What the token fetch takes from the client's configuration (config::token and
/// config::token_fetch_timeout).
struct token_settings {
  auth::token_cache_options cache;
  std::chrono::milliseconds fetch_timeout;
};

/// The access tokens of one client: the shared cache, and how this client refreshes
/// it. Thread-safety: every member may be called concurrently.
class bearer_tokens {
 public:
  /// `transport` and `limiter` are shared because a background refresh may outlive the
  /// call — and the client — that started it.
  bearer_tokens(const client_credentials& creds, const token_settings& settings, const net::url& base,
                std::shared_ptr<net::transport> transport, std::shared_ptr<limit::limiter_backend> limiter);
  ~bearer_tokens();

  /// The current token — or, when there is none that is still good, the outcome of the
  /// refresh in flight (started if need be), waited for no later than `deadline`.
  /// Adds to report.token_refreshes. Errors: credentials_rejected, token_unavailable,
  /// timeout, cancelled.
  asio::awaitable<result<token_ptr>> get(clock::time_point deadline, call_report& report);

  /// A 401 for `token`: forget it if it is still the current one.
  void invalidate(const token_ptr& token);
  /// When the shared cache stops using `token` (its lifetime less the margin); nullopt
  /// when it is no longer the current token.
  std::optional<clock::time_point> usable_until(const token_ptr& token) const;

 private:
  std::shared_ptr<token_source> source_;
  std::shared_ptr<token_fetcher> fetcher_;
};

}  // namespace codex::call
