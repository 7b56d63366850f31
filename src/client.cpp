#include <codex/client.hpp>

#include "call/auth_stage.hpp"
#include "call/limiter_stage.hpp"
#include "call/pipeline.hpp"
#include "call/retry_stage.hpp"
#include "call/transport_stage.hpp"
#include "json/error_body.hpp"
#include "limit/limiter_backend.hpp"
#include "limit/redis_limiter.hpp"

#include <codex/auth/scrubber.hpp>
#include <codex/limit/limiter_registry.hpp>
#include <codex/limit/retry_after.hpp>
#include <codex/retry/idempotency.hpp>

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
  return std::make_shared<limit::local_backend>(std::move(*limiter));
}

/// A non-2xx response as the typed error the caller sees.
error_info error_from_response(const net::http_response& response) {
  auto body = json::decode_error_body(response.body);
  error_info info{.code = make_error_code(errc_from_status(response.status)),
                  .http_status = response.status,
                  .service_code = std::move(body.error),
                  .message = auth::scrub(body.message)};
  if (auto id = response.headers.find("X-Request-Id")) info.request_id = std::string(*id);
  if (auto header = response.headers.find("Retry-After"))
    info.retry_after = limit::parse_retry_after(*header, std::chrono::system_clock::now());
  return info;
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
        transport_stage(*transport),
        limiter_stage(limiter, transport_stage),
        auth_stage(call::make_auth_stage(cfg, base, limiter_stage, transport, limiter)),
        retry_stage(cfg.retry, budget, *auth_stage) {}

  asio::any_io_executor exec;
  config cfg;
  net::url base;
  std::shared_ptr<net::transport> transport;
  std::shared_ptr<limit::limiter_backend> limiter;
  retry::retry_budget budget;
  call::transport_stage transport_stage;
  call::limiter_stage limiter_stage;
  std::unique_ptr<call::stage> auth_stage;
  call::retry_stage retry_stage;

  call::call_context context_for(api_request& request) const {
    call::call_context context;
    auto& http = context.request;
    http.method = request.method;
    http.target = base.target(request.path);
    if (!request.query.empty()) http.target += "?" + request.query;
    http.body = std::move(request.body);
    http.headers = std::move(request.headers);
    http.headers.add("Accept", "application/json");
    http.headers.add("User-Agent", "codex-cpp/" CODEX_VERSION);
    if (!http.body.empty()) http.headers.add("Content-Type", "application/json");
    const auto timeout = request.timeout.value_or(cfg.timeout);
    context.deadline = call::clock::now() + timeout;
    context.attempt_timeout = cfg.attempt_timeout;
    context.log = cfg.observer.get();
    context.report.method = net::to_string(request.method);
    context.report.path = request.path;
    return context;
  }

  void report(call::call_context& context, const result<net::http_response>& outcome, call::clock::time_point start) {
    if (!cfg.observer) return;
    context.report.latency = call::clock::now() - start;
    context.report.error = outcome.code();
    context.report.status = outcome ? outcome->status : outcome.error().http_status;
    cfg.observer->on_call(context.report);
  }
};

client::client(asio::any_io_executor executor, config configuration)
    : impl_(std::make_shared<impl>(std::move(executor), with_sendable_credentials(std::move(configuration)))) {}

client::~client() = default;

asio::awaitable<result<net::http_response>> client::execute(api_request request) {
  auto self = impl_;  // a call keeps the client's machinery alive to its end
  const auto start = call::clock::now();
  call::call_context context = self->context_for(request);

  if (request.method == net::http_method::post && (request.idempotent || request.idempotency_key)) {
    if (!request.idempotency_key) {
      auto key = retry::make_idempotency_key();
      if (!key) co_return std::move(key).error();
      request.idempotency_key = std::move(*key);
    }
    context.request.headers.set("Idempotency-Key", *request.idempotency_key);
  }
  context.replay_safe = retry::is_replay_safe(request.method, request.idempotency_key.has_value());

  result<net::http_response> outcome = co_await self->retry_stage.send(context);
  if (outcome && (outcome->status < 200 || outcome->status > 299)) outcome = error_from_response(*outcome);
  if (!outcome) {
    error_info failure = std::move(outcome).error();
    failure.message = auth::scrub(failure.message);
    outcome = std::move(failure);
  }
  self->report(context, outcome, start);
  co_return outcome;
}

const config& client::configuration() const noexcept { return impl_->cfg; }

net::transport_stats client::transport_stats() const noexcept { return impl_->transport->stats(); }

asio::any_io_executor client::get_executor() const noexcept { return impl_->exec; }

codex::documents client::documents() noexcept { return codex::documents{*this}; }

}  // namespace codex
