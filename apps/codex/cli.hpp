#pragma once
// The `codex` command: shared pieces of its commands (settings, output, exit codes).

#include <codex/client.hpp>
#include <codex/config.hpp>
#include <codex/error.hpp>

#include <asio/awaitable.hpp>

#include <string>

namespace codex::cli {

/// Documented exit codes (also in `codex --help`).
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,         ///< anything not below
  exit_usage = 2,           ///< bad command line
  exit_auth = 3,            ///< unauthenticated, permission denied, credentials rejected
  exit_not_found = 4,
  exit_rate_limited = 5,    ///< rate limited, or a wait that would pass the deadline
  exit_partial_ingest = 6,  ///< an ingest finished with rejected items
  exit_transport = 7,       ///< resolve, connect, TLS, timeout, connection lost
  exit_busy = 8,            ///< the ingest job is running in another process (its journal is locked)
};

/// The exit code for a failure.
int exit_code_for(const std::error_code& code);

/// Global options, from flags; the rest comes from the environment or the emulator's file.
struct settings {
  std::string base_url;
  std::string api_key;
  std::string client_id;
  std::string client_secret;
  std::string access_token;
  std::string ca_file;
  std::string client_cert;  ///< PEM chain (mutual TLS); its key's passphrase only from CODEX_CLIENT_KEY_PASSPHRASE
  std::string client_key;
  std::string proxy;        ///< http://[user:password@]host:port
  std::string rate_limit;
  std::string limiter;  ///< "local" or a Redis URL (limit::parse_limiter_url)
  std::string credentials_file;
  bool json = false;
};

/// Builds the client configuration: flags, then CODEX_* variables, then the emulator's
/// credentials.json. Says on stderr which source the credentials came from.
result<config> resolve_config(const settings& flags);

/// Prints an error as one line on stderr ("codex: ..."); never a secret (messages are
/// scrubbed), never a raw control character (the server's code and message are
/// printable()).
void print_error(const error_info& info);

/// Runs a command coroutine to completion and returns its exit code.
int run(const config& cfg, std::function<asio::awaitable<int>(client&)> command);

}  // namespace codex::cli
