// The client's own typed calls: GET /account and GET /schema.

#include "api/call.hpp"

#include <codex/client.hpp>
#include <codex/json/decode.hpp>

namespace codex {
namespace {

using call::delivery;

result<std::string> raw_body(const std::string& body) { return std::string(body); }

// Each written once, over how it delivers (see call::delivery).
template <delivery how>
asio::awaitable<call::delivered<codex::account, how>> account_call(client& api) {
  return api::detail::typed_call<codex::account, how>(call::session_of(api), api_request{.path = "/account"},
                                                      &json::decode_account);
}

template <delivery how>
asio::awaitable<call::delivered<std::string, how>> schema_call(client& api) {
  return api::detail::typed_call<std::string, how>(call::session_of(api), api_request{.path = "/schema"}, &raw_body);
}

}  // namespace

asio::awaitable<result<codex::account>> client::try_account() { return account_call<delivery::as_result>(*this); }

asio::awaitable<codex::account> client::account() { return account_call<delivery::or_throw>(*this); }

asio::awaitable<result<std::string>> client::try_schema() { return schema_call<delivery::as_result>(*this); }

asio::awaitable<std::string> client::schema() { return schema_call<delivery::or_throw>(*this); }

}  // namespace codex
