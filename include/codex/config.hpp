#pragma once
// codex::config — everything a client needs, as an aggregate with documented defaults,
// set with designated initialisers, or read from the environment / the emulator's file.

#include <codex/auth/credentials.hpp>
#include <codex/auth/token_options.hpp>
#include <codex/limit/limiter_options.hpp>
#include <codex/limit/rate.hpp>
#include <codex/net/transport.hpp>
#include <codex/observer.hpp>
#include <codex/result.hpp>
#include <codex/retry/retry_options.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <variant>

namespace codex {

/// A client's configuration. Every field has a production default.
struct config {
  /// The API's base URL; must be https.
  std::string base_url = "https://api.codex.dev/v1";
  /// Who the client is: an API key, client credentials, an access token, or (the
  /// default) none — public documents only.
  codex::credentials credentials = anonymous_credentials{};
  /// The client-side limit for this credential, shared by every client of it in the
  /// process. Default: the contract's 1,000 requests per minute.
  limit::rate_limit rate_limit = limit::contract_default_rate;
  /// Where that limit is kept. Default: in the process (limit::local_limiter_options). To share
  /// one key's limit among processes and hosts: `limit::redis("redis://host:6379/0")`
  /// (every process of the key must use the same rate_limit and Redis).
  limit::limiter_choice limiter = limit::local_limiter_options{};
  /// Deadline of a whole call (attempts, waits for the limiter, tokens and backoff).
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  /// Cap on one attempt's exchange.
  std::chrono::milliseconds attempt_timeout = std::chrono::seconds(20);
  /// When a failed attempt is retried and how long the call waits first. Default: 4
  /// attempts within 60 s, capped exponential backoff with full jitter.
  retry::retry_options retry;
  /// The client's allowance of retries. Default: 100, plus 0.1 per success, at least
  /// 10 a second.
  retry::retry_budget_options retry_budget;
  /// Token refresh timing (client credentials only).
  auth::token_cache_options token;
  /// One POST /auth/token may take this long.
  std::chrono::milliseconds token_fetch_timeout = std::chrono::seconds(10);
  /// The connection pool: TLS trust and client certificate, proxy, pool size, idle
  /// timeout, maximum connection age, response limits.
  net::transport_options transport;
  /// Receives a report per call and scrubbed log lines. May be null.
  std::shared_ptr<codex::observer> observer;

  /// Reads CODEX_BASE_URL, CODEX_API_KEY, CODEX_CLIENT_ID + CODEX_CLIENT_SECRET,
  /// CODEX_ACCESS_TOKEN, CODEX_CA_FILE, CODEX_CLIENT_CERT + CODEX_CLIENT_KEY (+ CODEX_CLIENT_KEY_PASSPHRASE:
  /// mutual TLS), CODEX_RATE_LIMIT, CODEX_LIMITER_URL; with none of the credential
  /// variables, CODEX_CREDENTIALS_FILE or the emulator's default credentials file; and
  /// curl's https_proxy / HTTPS_PROXY and no_proxy / NO_PROXY into transport.proxy
  /// (see net::proxy_options::from_env). A config built in code uses only what it says.
  /// Errors: errc::invalid_argument naming the variable at fault; errc::invalid_url or
  /// errc::unsupported_scheme for a malformed https_proxy / HTTPS_PROXY.
  static result<config> from_env();

  /// Reads the emulator's credentials.json (base_url, ca_file, api_key, client_id, ...),
  /// using its read-write API key. Errors: errc::invalid_argument (unreadable file),
  /// errc::decode_error (malformed).
  static result<config> from_credentials_file(const std::string& path);

  /// $XDG_STATE_HOME/codex-emulator/credentials.json, else
  /// ~/.local/state/codex-emulator/credentials.json.
  static std::string default_credentials_file();
};

}  // namespace codex
