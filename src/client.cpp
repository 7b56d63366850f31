#include <codex/client.hpp>

#include "call/session.hpp"
#include "limit/limiter_backend.hpp"
#include "limit/redis_support.hpp"
#include "net/http_codec.hpp"

#include "limit/limiter_registry.hpp"

namespace codex {
namespace {

net::url parse_base_url(const std::string& text) {
  auto parsed = net::url::parse(text);
  if (!parsed) throw codex::error(std::move(parsed).error());
  return std::move(*parsed);
}

/// An API key or a token is sent in a header — as Basic's base64 too, which would hide
/// a line break from the codec's check but still send a credential that cannot be right.
config with_sendable_credentials(config cfg) {
  auto refuse = [](std::string_view what) {
    throw codex::error(error_info{.code = make_error_code(errc::invalid_argument),
                                  .message = std::string(what) + " holds CR, LF, NUL or another control character, "
                                                                 "which no HTTP header may carry"});
  };
  if (const auto* key = std::get_if<api_key_credentials>(&cfg.credentials);
      key && !net::is_valid_field_value(key->key.reveal()))
    refuse("the API key");
  if (const auto* token = std::get_if<access_token_credentials>(&cfg.credentials);
      token && !net::is_valid_field_value(token->token.reveal()))
    refuse("the access token");
  return cfg;
}

/// The limiter's key: which credential's budget a request spends (never the secret).
std::string limiter_identity(const credentials& creds, const net::url& base) {
  const std::string origin = base.to_string();
  return std::visit(
      [&](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, api_key_credentials>) return limit::credential_identity("api_key", origin, c.key.reveal());
        else if constexpr (std::is_same_v<T, client_credentials>) return limit::credential_identity("client", origin, c.client_id);
        else if constexpr (std::is_same_v<T, access_token_credentials>) return limit::credential_identity("token", origin, c.token.reveal());
        else return limit::credential_identity("anonymous", origin, "");
      },
      creds);
}

/// The credential's limiter: the process-wide GCRA of the registry, or a schedule in
/// Redis shared with every process of the key (one connection per client).
std::shared_ptr<limit::limiter_backend> make_limiter(const asio::any_io_executor& executor, const config& cfg,
                                                     const net::url& base) {
  const std::string identity = limiter_identity(cfg.credentials, base);
  if (const auto* redis = std::get_if<limit::redis_limiter_options>(&cfg.limiter)) {
    auto limiter = limit::make_redis_limiter(executor, *redis, cfg.rate_limit, identity);
    if (!limiter) throw codex::error(std::move(limiter).error());
    return std::move(*limiter);
  }
  auto limiter = limit::limiter_registry::global().get(identity, cfg.rate_limit);
  if (!limiter) throw codex::error(std::move(limiter).error());
  return std::make_shared<limit::local_limiter>(std::move(*limiter));
}

std::unique_ptr<call::bearer_tokens> bearer_tokens_for(const config& cfg, const net::url& base,
                                                       std::shared_ptr<net::transport> transport,
                                                       std::shared_ptr<limit::limiter_backend> limiter) {
  const auto* creds = std::get_if<client_credentials>(&cfg.credentials);
  if (creds == nullptr) return nullptr;
  const call::token_settings settings{.cache = cfg.token, .fetch_timeout = cfg.token_fetch_timeout};
  return std::make_unique<call::bearer_tokens>(*creds, settings, base, std::move(transport), std::move(limiter));
}

/// The session's parts, made from the configuration.
call::session_parts session_parts_for(asio::any_io_executor executor, const config& cfg) {
  call::session_parts parts{.executor = executor, .base = parse_base_url(cfg.base_url)};
  parts.transport = std::make_shared<net::transport>(std::move(executor), parts.base, cfg.transport);
  parts.limiter = make_limiter(parts.executor, cfg, parts.base);
  parts.rate = cfg.rate_limit;
  parts.tokens = bearer_tokens_for(cfg, parts.base, parts.transport, parts.limiter);
  parts.credential = call::fixed_credential_header(cfg.credentials);
  parts.timeout = cfg.timeout;
  parts.attempt_timeout = cfg.attempt_timeout;
  parts.retry = cfg.retry;
  parts.retry_budget = cfg.retry_budget;
  parts.log = cfg.observer;
  return parts;
}

}  // namespace

struct client::impl {
  impl(asio::any_io_executor executor, config configuration)
      : cfg(std::move(configuration)), session(std::make_shared<call::session>(session_parts_for(std::move(executor), cfg))) {}

  config cfg;
  std::shared_ptr<call::session> session;
};

client::client(asio::any_io_executor executor, config configuration)
    : impl_(std::make_shared<impl>(std::move(executor), with_sendable_credentials(std::move(configuration)))) {}

client::~client() = default;

call::session& call::session_of(client& api) noexcept { return *api.impl_->session; }

asio::awaitable<result<net::http_response>> client::execute(api_request request) {
  return impl_->session->execute(std::move(request));
}

asio::awaitable<result<codex::access_token>> client::try_access_token() {
  const auto self = impl_->session;  // the refresh it may start outlives nothing it needs
  if (self->tokens() == nullptr)
    co_return error_info{.code = make_error_code(errc::invalid_argument),
                         .message = "access_token: only a client with client credentials fetches tokens"};
  const auto deadline = call::clock::now() + self->timeout();
  for (;;) {
    call_report report;
    auto token = co_await self->tokens()->get(deadline, report);
    if (!token) co_return std::move(token).error();
    // Read after the get: nullopt when a refresh replaced it meanwhile — ask again.
    const auto until = self->tokens()->usable_until(*token);
    if (!until) continue;
    const auto left = std::chrono::duration_cast<std::chrono::system_clock::duration>(*until - call::clock::now());
    co_return codex::access_token{.value = secret((*token)->reveal()), .usable_until = std::chrono::system_clock::now() + left};
  }
}

asio::awaitable<codex::access_token> client::access_token() { return detail::value_or_throw(try_access_token()); }

const config& client::configuration() const noexcept { return impl_->cfg; }

net::transport_stats client::transport_stats() const noexcept { return impl_->session->transport_stats(); }

asio::any_io_executor client::get_executor() const noexcept { return impl_->session->executor(); }

codex::documents client::documents() noexcept { return codex::documents{*this}; }

}  // namespace codex
