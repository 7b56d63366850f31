#include "cli.hpp"

#include "terminal_text.hpp"

#include <codex/auth/scrubber.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstdlib>
#include <iostream>

namespace codex::cli {

int exit_code_for(const std::error_code& code) {
  if (code.category() != codex::category()) return exit_failure;
  switch (static_cast<errc>(code.value())) {
    case errc::invalid_url:
    case errc::unsupported_scheme:
    case errc::invalid_argument:
    case errc::not_supported: return exit_usage;
    case errc::unauthenticated:
    case errc::permission_denied:
    case errc::credentials_rejected: return exit_auth;
    case errc::not_found: return exit_not_found;
    case errc::job_locked: return exit_busy;
    case errc::rate_limited:
    case errc::deadline_too_short: return exit_rate_limited;
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::proxy_unreachable:
    case errc::proxy_auth_required:  // the proxy is part of the way to the service, not its credentials
    case errc::proxy_refused:
    case errc::client_certificate_rejected:
    case errc::tls_handshake_failed:
    case errc::certificate_rejected:
    case errc::host_name_mismatch:
    case errc::connection_closed:
    case errc::connection_reset:
    case errc::timeout:
    case errc::io_error:
    case errc::token_unavailable: return exit_transport;
    default: return exit_failure;
  }
}

namespace {

/// --proxy, else https_proxy / HTTPS_PROXY — read here too when the rest comes from a
/// credentials file (config::from_env() has read them otherwise, into `current`).
result<net::proxy_options> proxy_for(const settings& flags, const net::proxy_options& current) {
  net::proxy_options base = current;
  if (!flags.credentials_file.empty()) {
    auto from_env = net::proxy_options::from_env();
    if (!from_env) return from_env;
    base = std::move(*from_env);
  }
  if (flags.proxy.empty()) return base;
  auto given = net::proxy_options::from_url(flags.proxy, base.no_proxy);
  if (!given) return error_info{.code = given.error().code, .message = "--proxy: " + given.error().message};
  return given;
}

}  // namespace

result<config> resolve_config(const settings& flags) {
  const bool flag_credentials = !flags.api_key.empty() || !flags.client_id.empty() || !flags.access_token.empty();
  auto env_set = [](const char* name) { return std::getenv(name) != nullptr && *std::getenv(name) != '\0'; };
  const bool env_credentials = env_set("CODEX_API_KEY") || env_set("CODEX_CLIENT_ID") || env_set("CODEX_ACCESS_TOKEN");

  // Every setting a flag leaves unset still comes from the environment or the file: a
  // key given with --api-key keeps CODEX_BASE_URL / CODEX_CA_FILE / the file's base URL.
  result<config> base = config{};
  std::string source = "command-line flags";
  if (!flags.credentials_file.empty()) {
    base = config::from_credentials_file(flags.credentials_file);
    if (!flag_credentials) source = "credentials file " + flags.credentials_file;
  } else {
    base = config::from_env();
    if (flag_credentials) {
      // the flags' credentials replace those of the environment or the file below
    } else if (env_credentials) {
      source = "environment (CODEX_*)";
    } else {
      const char* file = std::getenv("CODEX_CREDENTIALS_FILE");
      source = "credentials file " + std::string(file != nullptr && *file ? file : config::default_credentials_file());
    }
  }
  if (!base) return base;
  config cfg = std::move(*base);

  if (!flags.api_key.empty()) {
    cfg.credentials = api_key_credentials{.key = secret(flags.api_key)};
  } else if (!flags.client_id.empty()) {
    if (flags.client_secret.empty()) return error_info{.code = errc::invalid_argument, .message = "--client-id needs --client-secret"};
    cfg.credentials = client_credentials{.client_id = flags.client_id, .client_secret = secret(flags.client_secret)};
  } else if (!flags.access_token.empty()) {
    cfg.credentials = access_token_credentials{.token = secret(flags.access_token)};
  }
  if (!flags.base_url.empty()) cfg.base_url = flags.base_url;
  if (!flags.ca_file.empty()) cfg.transport.tls.ca_file = flags.ca_file;
  if (!flags.client_cert.empty()) cfg.transport.tls.client_certificate_file = flags.client_cert;
  if (!flags.client_key.empty()) cfg.transport.tls.client_key_file = flags.client_key;
  // The passphrase never comes from a flag (other users see the process list).
  if (const char* passphrase = std::getenv("CODEX_CLIENT_KEY_PASSPHRASE");
      passphrase != nullptr && *passphrase != '\0' && cfg.transport.tls.client_key_passphrase.empty())
    cfg.transport.tls.client_key_passphrase = secret(passphrase);
  if (auto proxy = proxy_for(flags, cfg.transport.proxy); !proxy) {
    return std::move(proxy).error();
  } else {
    cfg.transport.proxy = std::move(*proxy);
  }
  if (!flags.rate_limit.empty()) {
    auto rate = limit::parse_rate_limit(flags.rate_limit);
    if (!rate) return error_info{.code = errc::invalid_argument, .message = "--rate-limit: " + rate.error().message};
    cfg.rate_limit = *rate;
  }
  // --limiter, else CODEX_LIMITER_URL (also when the credentials come from a file).
  const char* limiter_env = std::getenv("CODEX_LIMITER_URL");
  const std::string limiter_url = !flags.limiter.empty() ? flags.limiter : (limiter_env != nullptr ? limiter_env : "");
  if (!limiter_url.empty()) {
    auto choice = limit::parse_limiter_url(limiter_url);
    if (!choice) return error_info{.code = errc::invalid_argument, .message = "--limiter: " + choice.error().message};
    cfg.limiter = std::move(*choice);
  }
  if (std::holds_alternative<anonymous_credentials>(cfg.credentials)) source = "none (anonymous)";
  std::cerr << "codex: credentials from " << printable(source) << "\n";
  return cfg;
}

void print_error(const error_info& info) { std::cerr << "codex: " << printable(auth::scrub(info.describe())) << "\n"; }

int run(const config& cfg, std::function<asio::awaitable<int>(client&)> command) {
  asio::io_context io;
  int status = exit_failure;
  try {
    client api(io.get_executor(), cfg);
    asio::co_spawn(io, command(api), [&](std::exception_ptr failure, int code) {
      // The command is over: exit now. run() would otherwise wait for the pooled
      // connections' timers (a watchdog armed for the last request's deadline: 20 s).
      io.stop();
      status = code;
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const codex::error& e) {
        print_error(e.info());
        status = exit_code_for(e.code());
      } catch (const std::exception& e) {
        std::cerr << "codex: " << printable(auth::scrub(e.what())) << "\n";
        status = exit_failure;
      }
    });
    io.run();
  } catch (const codex::error& e) {  // configuration refused by the client
    print_error(e.info());
    return exit_code_for(e.code());
  }
  return status;
}

}  // namespace codex::cli
