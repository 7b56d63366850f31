#include <codex/client.hpp>

#include "api/call.hpp"
#include "call/call_driver.hpp"
#include "call/credential_header.hpp"
#include "call/token_source.hpp"
#include "limit/limiter_backend.hpp"
#include "limit/redis_limiter.hpp"
#include "net/http_codec.hpp"

#include "limit/limiter_registry.hpp"
#include <codex/retry/backoff.hpp>
#include <codex/retry/idempotency.hpp>

#include <openssl/crypto.h>

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
    return std::make_shared<limit::redis_limiter>(executor, *redis, cfg.rate_limit, identity);
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

/// The header lines every request of the client carries after Host, made once:
/// Accept, User-Agent and a fixed credential (so a secret, wiped when the client goes).
auth::secret preset_fields_for(const std::optional<call::credential_header>& credential) {
  net::header_list fields;
  fields.add("Accept", "application/json");
  fields.add("User-Agent", "codex-cpp/" CODEX_VERSION);
  if (credential) fields.add(credential->name, credential->value.reveal());
  std::string lines;
  auto formatted = net::codec::format_fields(fields, lines);
  OPENSSL_cleanse(fields.storage().data(), fields.storage().size());
  if (!formatted) throw codex::error(std::move(formatted).error());  // with_sendable_credentials checked the values
  return auth::secret(std::move(lines));
}

}  // namespace

struct client::impl {
  impl(asio::any_io_executor executor, config configuration)
      : exec(executor),
        cfg(std::move(configuration)),
        base(parse_base_url(cfg.base_url)),
        transport(std::make_shared<net::transport>(std::move(executor), base, cfg.transport)),
        limiter(make_limiter(exec, cfg, base)),
        budget(cfg.retry_budget),
        credential(call::fixed_credential_header(cfg.credentials)),
        preset_fields(preset_fields_for(credential)),
        tokens(bearer_tokens_for(cfg, base, transport, limiter)),
        resources{.limiter = limiter.get(),
                  .transport = transport.get(),
                  .tokens = tokens.get(),
                  .preset_fields = preset_fields.reveal(),
                  .log = cfg.observer.get(),
                  .report_calls = true,
                  .errors_from_status = true} {}

  asio::any_io_executor exec;
  config cfg;
  net::url base;
  std::shared_ptr<net::transport> transport;
  std::shared_ptr<limit::limiter_backend> limiter;
  retry::retry_budget budget;
  std::optional<call::credential_header> credential;
  auth::secret preset_fields;
  std::unique_ptr<call::bearer_tokens> tokens;
  call::call_resources resources;
};

client::client(asio::any_io_executor executor, config configuration)
    : impl_(std::make_shared<impl>(std::move(executor), with_sendable_credentials(std::move(configuration)))) {}

client::~client() = default;

result<call::call_job> api::detail::call_access::prepare(client& api, api_request request) {
  client::impl& self = *api.impl_;
  if (request.method == net::http_method::post && (request.idempotent || request.idempotency_key)) {
    if (!request.idempotency_key) {
      auto key = retry::make_idempotency_key();
      if (!key) return std::move(key).error();
      request.idempotency_key = std::move(*key);
    }
    request.headers.set("Idempotency-Key", *request.idempotency_key);
  }
  // The credential is the client's (among the preset fields): a caller's is not sent.
  if (self.credential) request.headers.erase(self.credential->name);
  if (!request.body.empty()) request.headers.add("Content-Type", "application/json");
  const call::call_plan plan{
      .deadline = call::clock::now() + request.timeout.value_or(self.cfg.timeout),
      .attempt_timeout = self.cfg.attempt_timeout,
      .replay_safe = retry::is_replay_safe(request.method, request.idempotency_key.has_value()),
      .refreshable_token = self.tokens != nullptr,
      .retry = &self.cfg.retry,
      .budget = &self.budget,
      .random_bits = &retry::jitter_bits};
  call_report report;
  report.method = net::to_string(request.method);

  // The target is the path's own string with the base's prefix inserted in front (the
  // typed calls leave room for it) and the query after.
  net::http_request http{.method = request.method, .target = std::move(request.path),
                         .headers = std::move(request.headers), .body = std::move(request.body)};
  const std::size_t path_at = self.base.path_prefix.size();
  const std::size_t path_size = http.target.size();
  http.target.insert(0, self.base.path_prefix);
  if (!request.query.empty()) {
    http.target.push_back('?');
    http.target += request.query;
  }
  return call::call_job(plan, std::move(report), std::move(http), path_at, path_size, self.resources, api.impl_);
}

// Not a coroutine: the call's one frame is the driver's, which the job is moved into.
asio::awaitable<result<net::http_response>> client::execute(api_request request) {
  auto job = api::detail::call_access::prepare(*this, std::move(request));
  if (!job) return detail::ready(result<net::http_response>(std::move(job).error()));
  return call::drive(std::move(*job));
}

asio::awaitable<result<codex::access_token>> client::try_access_token() {
  const auto self = impl_;  // the refresh it may start outlives nothing it needs
  if (!self->tokens)
    co_return error_info{.code = make_error_code(errc::invalid_argument),
                         .message = "access_token: only a client with client credentials fetches tokens"};
  const auto deadline = call::clock::now() + self->cfg.timeout;
  for (;;) {
    call_report report;
    auto token = co_await self->tokens->get(deadline, report);
    if (!token) co_return std::move(token).error();
    // Read after the get: nullopt when a refresh replaced it meanwhile — ask again.
    const auto until = self->tokens->usable_until(*token);
    if (!until) continue;
    const auto left = std::chrono::duration_cast<std::chrono::system_clock::duration>(*until - call::clock::now());
    co_return codex::access_token{.value = secret((*token)->reveal()), .usable_until = std::chrono::system_clock::now() + left};
  }
}

asio::awaitable<codex::access_token> client::access_token() { return detail::value_or_throw(try_access_token()); }

const config& client::configuration() const noexcept { return impl_->cfg; }

net::transport_stats client::transport_stats() const noexcept { return impl_->transport->stats(); }

asio::any_io_executor client::get_executor() const noexcept { return impl_->exec; }

codex::documents client::documents() noexcept { return codex::documents{*this}; }

}  // namespace codex
