#pragma once
// What the calls of one client share — the transport, the limiter, the tokens, the
// retry budget, the header lines every request carries — and the making of a request
// into a job for the driver. The typed resources (api/) and the ingester reach it
// through session_of(client&), so they need nothing of the client's facade.

#include "call/call_driver.hpp"
#include "call/credential_header.hpp"
#include "call/token_source.hpp"
#include "retry/retry_budget.hpp"

#include <codex/auth/secret.hpp>
#include <codex/call/request.hpp>
#include <codex/limit/rate.hpp>
#include <codex/net/transport.hpp>
#include <codex/net/url.hpp>
#include <codex/result.hpp>
#include <codex/retry/retry_options.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace codex {
class client;
class observer;
}  // namespace codex

namespace codex::call {

/// The parts of a session, made from the client's configuration by the client.
struct session_parts {
  asio::any_io_executor executor;
  net::url base;
  std::shared_ptr<net::transport> transport;
  std::shared_ptr<limit::limiter_backend> limiter;
  limit::rate_limit rate;                           ///< the limiter's rate (the ingester sizes batches by it)
  std::unique_ptr<bearer_tokens> tokens;            ///< client credentials only
  std::optional<credential_header> credential;      ///< a fixed credential (API key, given token)
  std::chrono::milliseconds timeout{};              ///< a call's default deadline
  std::chrono::milliseconds attempt_timeout{};
  retry::retry_options retry;
  retry::retry_budget_options retry_budget;
  std::shared_ptr<observer> log;
};

/// Thread-safety: every member may be called concurrently. Owned by a shared_ptr: each
/// call keeps its session alive to its end.
class session : public std::enable_shared_from_this<session> {
 public:
  /// Throws codex::error when the fixed credential cannot be written as a header.
  explicit session(session_parts parts);

  /// The request made into a job for the driver: the Idempotency-Key of a replay-safe
  /// POST (made here when asked for), the base URL's path prefix and the query, the
  /// plan. The request's parts are moved into the job (the request is left empty).
  /// Errors: those found before anything is sent (no idempotency key could be made).
  result<call_job> prepare(api_request&& request);

  /// The raw call: a 2xx response as is, any other outcome its typed error.
  asio::awaitable<result<net::http_response>> execute(api_request request);

  const asio::any_io_executor& executor() const noexcept { return parts_.executor; }
  const limit::rate_limit& rate() const noexcept { return parts_.rate; }
  std::chrono::milliseconds timeout() const noexcept { return parts_.timeout; }
  /// Null unless the client has client credentials.
  bearer_tokens* tokens() const noexcept { return parts_.tokens.get(); }
  net::transport_stats transport_stats() const noexcept { return parts_.transport->stats(); }

 private:
  session_parts parts_;
  retry::retry_budget budget_;
  auth::secret preset_fields_;  // Accept, User-Agent and the fixed credential: a secret
  call_resources resources_;
};

/// The session behind `api` (defined with the client: the one layer that sees both).
session& session_of(client& api) noexcept;

}  // namespace codex::call
