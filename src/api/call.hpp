#pragma once
// What every typed call does after the raw call path: decode a 2xx body into the
// model, keeping the response's status and X-Request-Id on a decode failure.

#include <codex/client.hpp>
#include <codex/result.hpp>

#include <asio/awaitable.hpp>

#include <string>
#include <utility>

namespace codex::api::detail {

template <class T>
using decoder = result<T> (*)(const std::string& body);

/// The response's body decoded with `decode`, or the call's failure. Pure.
template <class T>
result<T> decode_response(result<net::http_response> response, decoder<T> decode) {
  if (!response) return std::move(response).error();
  result<T> decoded = decode(response->body);
  if (decoded) return decoded;
  error_info info = std::move(decoded).error();
  info.http_status = response->status;
  if (auto id = response->headers.find("X-Request-Id")) info.request_id = std::string(*id);
  return info;
}

/// Decodes the answer of a call in flight.
template <class T>
asio::awaitable<result<T>> decode_when_done(asio::awaitable<result<net::http_response>> pending, decoder<T> decode) {
  co_return decode_response(co_await std::move(pending), decode);
}

/// Sends `request` through `api`'s call path and decodes the answer. Not a coroutine:
/// the request is handed to client::execute at once (which keeps the client's
/// machinery alive to the call's end), and no aggregate is passed by value to a
/// coroutine (g++ 12 miscompiles braced aggregate arguments of coroutines).
template <class T>
asio::awaitable<result<T>> call(client& api, api_request request, decoder<T> decode) {
  return decode_when_done<T>(api.execute(std::move(request)), decode);
}

/// Room a path keeps before its text for the base URL's prefix ("/v1"), which the
/// client inserts in place: the request's target is then built with no new string.
inline constexpr std::size_t path_headroom = 32;

/// "/documents/" + the percent-encoded id (with path_headroom spare).
std::string document_path(std::string_view id);

}  // namespace codex::api::detail
