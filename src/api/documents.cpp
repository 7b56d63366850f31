#include <codex/api/documents.hpp>

#include "api/call.hpp"
#include "api/validation_limits.hpp"

#include <codex/api/validation.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/net/url.hpp>

#include <string>
#include <utility>

namespace codex {
namespace api::detail {

std::string document_path(std::string_view id) {
  constexpr std::string_view prefix = "/documents/";
  std::string path;
  path.reserve(path_headroom + prefix.size() + 3 * id.size());
  path += prefix;
  net::append_percent_encoded(path, id);
  return path;
}

}  // namespace api::detail

namespace {

using api::detail::typed_call;
using api::detail::document_path;
using codex::call::delivered;
using codex::call::delivery;
using codex::call::ready;

/// "limit=…&cursor=…&tag=…" (only the options that are set), percent-encoded.
std::string list_query(const list_options& options) {
  std::string query;
  if (options.limit) net::append_query(query, "limit", std::to_string(*options.limit));
  if (options.cursor) net::append_query(query, "cursor", *options.cursor);
  if (options.tag) net::append_query(query, "tag", *options.tag);
  if (!query.empty()) query.erase(0, 1);  // append_query began it with '?'
  return query;
}

/// remove's answer: a 2xx without a body to decode.
asio::awaitable<result<void>> without_body(asio::awaitable<result<net::http_response>> pending) {
  auto response = co_await std::move(pending);
  if (!response) co_return std::move(response).error();
  co_return result<void>{};
}

/// A call refused before any I/O. Named values only are passed to the coroutine (see
/// api/call.hpp on g++ 12 and aggregate arguments).
template <class T, delivery how>
asio::awaitable<delivered<T, how>> refused(error_info failure) {
  result<T> outcome = std::move(failure);
  return ready<T, how>(std::move(outcome));
}

/// An empty batch: answered at once, with nothing sent.
template <class T, delivery how>
asio::awaitable<delivered<T, how>> nothing_to_send() {
  result<T> nothing = T{};
  return ready<T, how>(std::move(nothing));
}

error_info encode_failure(std::error_code code, std::string_view what) {
  return error_info{.code = code, .message = "cannot encode " + std::string(what) + ": " + code.message()};
}

/// Encodes what validate_limits / validate_batch_limits passed: the encoder checks the
/// UTF-8, and on its failure `full_check` (the public validator) names the field.
template <class Input, class Encode, class FullCheck>
result<void> encode_checked(const Input& input, std::string& body, std::string_view what, Encode encode,
                            FullCheck full_check) {
  const std::error_code ec = encode(input, body);
  if (!ec) return {};
  if (ec == errc::invalid_utf8) {
    if (auto named = full_check(input); !named) return std::move(named).error();
  }
  return encode_failure(ec, what);
}

}  // namespace

documents::documents(client& api) : client_(&api), executor_(call::session_of(api).executor()) {}

// Each call is written once, as a template over how it delivers: the try_ form as a
// result, the other throwing from the driver itself (see call::delivery).
namespace {

template <delivery how>
asio::awaitable<delivered<document, how>> get_call(client& api, std::string id) {
  if (auto valid = validate_id(id); !valid) return refused<document, how>(valid.error());
  api_request request{.path = document_path(id)};
  return typed_call<document, how>(call::session_of(api), std::move(request), &json::decode_document);
}

template <delivery how>
asio::awaitable<delivered<page<document>, how>> list_call(client& api, const list_options& options) {
  if (auto valid = validate(options); !valid) return refused<page<document>, how>(valid.error());
  api_request request{.path = "/documents", .query = list_query(options)};
  return typed_call<page<document>, how>(call::session_of(api), std::move(request), &json::decode_document_page);
}

template <delivery how>
asio::awaitable<delivered<document, how>> create_call(client& api, const document_input& input) {
  if (auto valid = api::detail::validate_limits(input); !valid) return refused<document, how>(valid.error());
  api_request request{.method = net::http_method::post, .path = "/documents", .idempotent = true};
  auto encoded = encode_checked(
      input, request.body, "the document", [](const document_input& in, std::string& out) { return json::encode(in, out); },
      [](const document_input& in) { return validate(in); });
  if (!encoded) return refused<document, how>(std::move(encoded).error());
  return typed_call<document, how>(call::session_of(api), std::move(request), &json::decode_document);
}

template <delivery how>
asio::awaitable<delivered<document, how>> update_call(client& api, std::string id, const document_patch& patch,
                                                      std::optional<std::int64_t> if_match) {
  if (auto valid = validate_id(id); !valid) return refused<document, how>(valid.error());
  if (auto valid = validate(patch); !valid) return refused<document, how>(valid.error());
  api_request request{.method = net::http_method::patch, .path = document_path(id)};
  if (auto ec = json::encode(patch, request.body)) return refused<document, how>(encode_failure(ec, "the patch"));
  if (if_match) request.headers.add("If-Match", std::to_string(*if_match));
  return typed_call<document, how>(call::session_of(api), std::move(request), &json::decode_document);
}

template <delivery how>
asio::awaitable<delivered<batch_result, how>> batch_create_call(client& api, std::span<const document_input> items) {
  if (items.empty()) return nothing_to_send<batch_result, how>();
  if (auto valid = api::detail::validate_batch_limits(items); !valid) return refused<batch_result, how>(valid.error());
  // A batch retried after a lost response must not create its documents twice.
  api_request request{.method = net::http_method::post, .path = "/documents/batch", .idempotent = true};
  auto encoded = encode_checked(items, request.body, "the batch", &json::encode_batch, &validate_batch);
  if (!encoded) return refused<batch_result, how>(std::move(encoded).error());
  // The 8 MiB limit is on the bytes sent: measured on the encoded body.
  if (auto valid = validate_batch_bytes(request.body.size()); !valid) return refused<batch_result, how>(valid.error());
  return typed_call<batch_result, how>(call::session_of(api), std::move(request), &json::decode_batch_result);
}

template <delivery how>
asio::awaitable<delivered<batch_get_result, how>> batch_get_call(client& api, std::span<const std::string> ids) {
  if (ids.empty()) return nothing_to_send<batch_get_result, how>();
  if (auto valid = validate_batch_ids(ids); !valid) return refused<batch_get_result, how>(valid.error());
  // A read: replaying it is harmless, and the Idempotency-Key lets the retry policy do so.
  api_request request{.method = net::http_method::post, .path = "/documents/batch_get", .idempotent = true};
  if (auto ec = json::encode_ids(ids, request.body)) return refused<batch_get_result, how>(encode_failure(ec, "the ids"));
  return typed_call<batch_get_result, how>(call::session_of(api), std::move(request), &json::decode_batch_get_result);
}

}  // namespace

asio::awaitable<result<document>> documents::try_get(std::string id) const {
  return get_call<delivery::as_result>(*client_, std::move(id));
}

asio::awaitable<document> documents::get(std::string id) const {
  return get_call<delivery::or_throw>(*client_, std::move(id));
}

asio::awaitable<result<page<document>>> documents::try_list(list_options options) const {
  return list_call<delivery::as_result>(*client_, options);
}

asio::awaitable<page<document>> documents::list(list_options options) const {
  return list_call<delivery::or_throw>(*client_, options);
}

document_stream documents::list_all(list_options options) const {
  return document_stream{*client_, std::move(options)};
}

asio::awaitable<result<document>> documents::try_create(document_input input) const {
  return create_call<delivery::as_result>(*client_, input);
}

asio::awaitable<document> documents::create(document_input input) const {
  return create_call<delivery::or_throw>(*client_, input);
}

asio::awaitable<result<document>> documents::try_update(std::string id, document_patch patch,
                                                        std::optional<std::int64_t> if_match) const {
  return update_call<delivery::as_result>(*client_, std::move(id), patch, if_match);
}

asio::awaitable<document> documents::update(std::string id, document_patch patch,
                                            std::optional<std::int64_t> if_match) const {
  return update_call<delivery::or_throw>(*client_, std::move(id), patch, if_match);
}

asio::awaitable<result<void>> documents::try_remove(std::string id) const {
  if (auto valid = validate_id(id); !valid) return refused<void, delivery::as_result>(valid.error());
  api_request request{.method = net::http_method::delete_, .path = document_path(id)};
  return without_body(call::session_of(*client_).execute(std::move(request)));
}

asio::awaitable<void> documents::remove(std::string id) const {
  return codex::detail::value_or_throw(try_remove(std::move(id)));
}

asio::awaitable<result<batch_result>> documents::try_batch_create(std::span<const document_input> items) const {
  return batch_create_call<delivery::as_result>(*client_, items);
}

asio::awaitable<batch_result> documents::batch_create(std::span<const document_input> items) const {
  return batch_create_call<delivery::or_throw>(*client_, items);
}

asio::awaitable<result<batch_get_result>> documents::try_batch_get(std::span<const std::string> ids) const {
  return batch_get_call<delivery::as_result>(*client_, ids);
}

asio::awaitable<batch_get_result> documents::batch_get(std::span<const std::string> ids) const {
  return batch_get_call<delivery::or_throw>(*client_, ids);
}

}  // namespace codex
