// The client's own typed calls: GET /account and GET /schema.

#include "api/call.hpp"

#include <codex/client.hpp>
#include <codex/json/decode.hpp>

namespace codex {
namespace {

result<std::string> raw_body(const std::string& body) { return std::string(body); }

}  // namespace

asio::awaitable<result<codex::account>> client::try_account() {
  return api::detail::typed_call<codex::account>(call::session_of(*this), api_request{.path = "/account"}, &json::decode_account);
}

asio::awaitable<codex::account> client::account() { return detail::value_or_throw(try_account()); }

asio::awaitable<result<std::string>> client::try_schema() {
  return api::detail::typed_call<std::string>(call::session_of(*this), api_request{.path = "/schema"}, &raw_body);
}

asio::awaitable<std::string> client::schema() { return detail::value_or_throw(try_schema()); }

}  // namespace codex
