// whoami and token.
#include "commands.hpp"
#include "terminal_text.hpp"

#include <codex/auth/jwt.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/json/writer.hpp>

#include <openssl/crypto.h>

#include <ctime>
#include <iostream>

namespace codex::cli {
namespace {

std::string utc_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

asio::awaitable<int> whoami(client& api, bool json) {
  // A named request, not a braced temporary inside co_await: see README, "g++ 12".
  api_request request{.path = "/account"};
  auto response = co_await api.execute(std::move(request));
  if (!response) {
    print_error(response.error());
    co_return exit_code_for(response.code());
  }
  auto me = json::decode_account(response->body);
  if (!me) {
    print_error(me.error());
    co_return exit_failure;
  }
  if (json) {
    std::string out;
    json::writer w(out);
    w.begin_object()
        .key("project_id").string(me->project.id)
        .key("project").string(me->project.name)
        .key("permission").string(me->project.permission)
        .key("credential_type").string(me->credential.type)
        .key("credential_prefix").string(me->credential.prefix)
        .key("scopes").begin_array();
    for (const auto& scope : me->scopes) w.string(scope);
    w.end_array().end_object();
    std::cout << printable_json(out) << "\n";
  } else {
    std::cout << "project:    " << printable(me->project.name) << " (" << printable(me->project.id) << ")\n"
              << "permission: " << printable(me->project.permission) << "\n"
              << "credential: " << printable(me->credential.type) << " " << printable(me->credential.prefix) << "\n";
  }
  co_return exit_ok;
}

asio::awaitable<int> token(client& api, bool json, bool show) {
  const auto* creds = std::get_if<client_credentials>(&api.configuration().credentials);
  if (creds == nullptr) {
    std::cerr << "codex: token needs client credentials (--client-id/--client-secret or CODEX_CLIENT_ID/CODEX_CLIENT_SECRET)\n";
    co_return exit_usage;
  }
  // The token endpoint is called directly (no Bearer on this request): an anonymous
  // client of the same base URL and trust settings.
  config raw = api.configuration();
  raw.credentials = anonymous_credentials{};
  client anonymous(co_await asio::this_coro::executor, raw);
  api_request request{.method = net::http_method::post, .path = "/auth/token"};
  if (auto ec = json::encode_token_request(creds->client_id, creds->client_secret.reveal(), creds->scope, request.body)) {
    print_error({.code = ec});
    co_return exit_usage;
  }
  auto response = co_await anonymous.execute(std::move(request));
  if (!response) {
    const bool rejected = response.error().http_status == 401;
    print_error(response.error());
    co_return rejected ? exit_auth : exit_code_for(response.code());
  }
  auto grant = json::decode_token_response(response->body);
  OPENSSL_cleanse(response->body.data(), response->body.size());
  if (!grant) {
    print_error(grant.error());
    co_return exit_failure;
  }
  std::string expires = std::to_string(grant->expires_in) + " s";
  if (auto claims = auth::read_jwt_claims(grant->access_token); claims && claims->exp) expires = utc_time(*claims->exp);
  if (json) {
    std::string out;
    json::writer w(out);
    w.begin_object().key("scope").string(grant->scope).key("expires_in").int64(grant->expires_in).key("expires_at").string(expires);
    if (show) w.key("access_token").string(grant->access_token);
    w.end_object();
    std::cout << printable_json(out) << "\n";
  } else {
    std::cout << "scope:   " << printable(grant->scope) << "\nexpires: " << expires << "\n";
    if (show) std::cout << "token:   " << printable(grant->access_token) << "\n";
  }
  OPENSSL_cleanse(grant->access_token.data(), grant->access_token.size());
  co_return exit_ok;
}

}  // namespace codex::cli
