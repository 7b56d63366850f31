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
  if (!std::holds_alternative<client_credentials>(api.configuration().credentials)) {
    std::cerr << "codex: token needs client credentials (--client-id/--client-secret or CODEX_CLIENT_ID/CODEX_CLIENT_SECRET)\n";
    co_return exit_usage;
  }
  // The SDK's own token: its cache, its single-flight refresh, its fetch.
  auto token = co_await api.try_access_token();
  if (!token) {
    print_error(token.error());
    co_return token.code() == make_error_code(errc::credentials_rejected) ? exit_auth : exit_code_for(token.code());
  }
  const auto claims = auth::read_jwt_claims(token->value.reveal());
  const std::string scope = claims && claims->scope ? *claims->scope : "";
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto usable_until = std::chrono::duration_cast<std::chrono::seconds>(token->usable_until.time_since_epoch()).count();
  // The token's own expiry when it says one; else when the SDK stops sending it.
  const std::int64_t expires_at = claims && claims->exp ? *claims->exp : usable_until;
  const std::string expires = utc_time(expires_at);
  if (json) {
    std::string out;
    json::writer w(out);
    w.begin_object().key("scope").string(scope).key("expires_in").int64(std::max<std::int64_t>(0, expires_at - unix_now))
        .key("expires_at").string(expires).key("usable_until").string(utc_time(usable_until));
    if (show) w.key("access_token").string(token->value.reveal());
    w.end_object();
    std::cout << printable_json(out) << "\n";
    OPENSSL_cleanse(out.data(), out.size());
  } else {
    std::cout << "scope:   " << printable(scope) << "\nexpires: " << expires << "\n";
    if (show) std::cout << "token:   " << printable(token->value.reveal()) << "\n";
  }
  co_return exit_ok;
}

}  // namespace codex::cli
