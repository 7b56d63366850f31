#pragma once
// codex::documents — the Document resource: get, list, list_all, create, update,
// remove, batch_create and batch_get.

#include <codex/api/async.hpp>
#include <codex/api/batch.hpp>
#include <codex/api/document.hpp>
#include <codex/api/document_stream.hpp>
#include <codex/api/list_options.hpp>
#include <codex/api/page.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace codex {

class client;

/// The Document resource of one client: a lightweight handle (two pointers), made by
/// client::documents(), that may be copied freely and dropped at any time — calls in
/// progress do not refer to it.
///
/// Every call comes in three forms, the same for every call:
///   - `try_X(args…)`  → asio::awaitable<result<T>>: never throws codex::error; the
///     failure is in the result (for hot loops, and where exceptions are unwelcome);
///   - `X(args…)`      → asio::awaitable<T>: the value, or throws codex::error;
///   - `X(args…, token)` with any Asio completion token (a callback, asio::use_future,
///     as_tuple(use_awaitable), …): completion signature void(std::exception_ptr, T)
///     (void(std::exception_ptr) for remove), the exception being that codex::error.
///     The call runs on the client's executor (see codex::async_call).
/// Arguments are taken by value (a reference would dangle after the first suspension);
/// spans are consumed — checked and encoded — when the function is called, so they
/// need not outlive it.
///
/// With g++ 12, do not brace-initialise an aggregate argument inside a co_await
/// expression — `co_await docs.list({.limit = 500})` destroys the temporary twice
/// (a compiler bug; a braced std::initializer_list there does not even compile).
/// Name it first: `codex::list_options o{.limit = 500}; co_await docs.list(o);`.
///
/// Before anything is sent, arguments are checked against the contract's limits
/// (codex::validate and friends): a violation fails with errc::limit_exceeded (the
/// message names the limit), errc::invalid_utf8 or errc::invalid_argument, and no
/// request is made. Service failures carry the contract's errc (not_found,
/// permission_denied, conflict, unprocessable, rate_limited, …) with the HTTP status,
/// the service's error code and message and the X-Request-Id; a 2xx body that does not
/// decode fails with errc::decode_error. Ids are percent-encoded in paths.
///
/// Thread-safety: every call may be made concurrently from any thread running the
/// client's executor. The client must outlive every call made through the handle.
class documents {
 public:
  /// A handle on `api`'s documents; same as api.documents().
  explicit documents(client& api);

  /// GET /documents/{id}. Errors: not_found (missing, or private to another project —
  /// the service does not say which).
  asio::awaitable<result<document>> try_get(std::string id) const;
  /// As try_get(), but returns the document and throws codex::error on failure.
  asio::awaitable<document> get(std::string id) const;
  /// As get(), with any completion token: signature void(std::exception_ptr, document).
  template <completion_token_for_call<document> Token>
  auto get(std::string id, Token&& token) const {
    return async_call(executor_, get(std::move(id)), std::forward<Token>(token));
  }

  /// GET /documents: one page; next_cursor is empty on the last one. Errors:
  /// invalid_argument for a limit outside 1..1000.
  asio::awaitable<result<page<document>>> try_list(list_options options = {}) const;
  /// As try_list(), but returns the page and throws codex::error on failure.
  asio::awaitable<page<document>> list(list_options options = {}) const;
  /// As list(), with any completion token: signature void(std::exception_ptr, page<document>).
  template <completion_token_for_call<page<document>> Token>
  auto list(list_options options, Token&& token) const {
    return async_call(executor_, list(std::move(options)), std::forward<Token>(token));
  }

  /// Every document the caller may see, page after page (following next_cursor from
  /// options.cursor), fetching the next page while the current one is consumed. Sends
  /// nothing until the stream's first next(). See document_stream.
  document_stream list_all(list_options options = {}) const;

  /// POST /documents (an upsert when input.id is set). An Idempotency-Key is created
  /// per call and kept across its retries, so a retried create never makes two
  /// documents. Errors: permission_denied with a read-only credential; unprocessable
  /// for what the service refuses.
  asio::awaitable<result<document>> try_create(document_input input) const;
  /// As try_create(), but returns the stored document and throws codex::error on failure.
  asio::awaitable<document> create(document_input input) const;
  /// As create(), with any completion token: signature void(std::exception_ptr, document).
  template <completion_token_for_call<document> Token>
  auto create(document_input input, Token&& token) const {
    return async_call(executor_, create(std::move(input)), std::forward<Token>(token));
  }

  /// PATCH /documents/{id}: only the fields set in `patch` change. With `if_match`,
  /// the update happens only if the document's version is still that one, else it
  /// fails with errc::conflict (409). Errors: not_found, permission_denied.
  asio::awaitable<result<document>> try_update(std::string id, document_patch patch,
                                               std::optional<std::int64_t> if_match = std::nullopt) const;
  /// As try_update(), but returns the updated document and throws codex::error on failure.
  asio::awaitable<document> update(std::string id, document_patch patch,
                                   std::optional<std::int64_t> if_match = std::nullopt) const;
  /// As update(), with any completion token: signature void(std::exception_ptr, document).
  template <completion_token_for_call<document> Token>
  auto update(std::string id, document_patch patch, std::optional<std::int64_t> if_match, Token&& token) const {
    return async_call(executor_, update(std::move(id), std::move(patch), if_match), std::forward<Token>(token));
  }

  /// DELETE /documents/{id}. Errors: not_found, permission_denied.
  asio::awaitable<result<void>> try_remove(std::string id) const;
  /// As try_remove(), but returns nothing and throws codex::error on failure.
  asio::awaitable<void> remove(std::string id) const;
  /// As remove(), with any completion token: signature void(std::exception_ptr).
  template <completion_token_for_call<void> Token>
  auto remove(std::string id, Token&& token) const {
    return async_call(executor_, remove(std::move(id)), std::forward<Token>(token));
  }

  /// POST /documents/batch: creates (or upserts) up to 1,000 documents in one request,
  /// which counts as one against the rate limit. Partial failure is normal: each item's
  /// outcome (index, status, id or the service's reason) is in the result, and only a
  /// failure of the whole request is an error. Refused before sending: over 1,000
  /// items, an encoded body over 8 MiB, or any item over a document limit (the message
  /// names the item's index). An empty span yields an empty result without a request.
  /// The request carries an Idempotency-Key kept across its retries.
  asio::awaitable<result<batch_result>> try_batch_create(std::span<const document_input> items) const;
  /// As try_batch_create(), but returns the per-item outcomes and throws codex::error on failure.
  asio::awaitable<batch_result> batch_create(std::span<const document_input> items) const;
  /// As batch_create(), with any completion token: signature void(std::exception_ptr, batch_result).
  template <completion_token_for_call<batch_result> Token>
  auto batch_create(std::span<const document_input> items, Token&& token) const {
    return async_call(executor_, batch_create(items), std::forward<Token>(token));
  }

  /// POST /documents/batch_get: up to 1,000 ids in one request; ids that are missing
  /// or private to another project are listed in `missing`. An empty span yields an
  /// empty result without a request.
  asio::awaitable<result<batch_get_result>> try_batch_get(std::span<const std::string> ids) const;
  /// As try_batch_get(), but returns what was found and what was missing and throws codex::error on failure.
  asio::awaitable<batch_get_result> batch_get(std::span<const std::string> ids) const;
  /// As batch_get(), with any completion token: signature void(std::exception_ptr, batch_get_result).
  template <completion_token_for_call<batch_get_result> Token>
  auto batch_get(std::span<const std::string> ids, Token&& token) const {
    return async_call(executor_, batch_get(ids), std::forward<Token>(token));
  }

  /// The client's executor, on which token-based calls run.
  const asio::any_io_executor& get_executor() const noexcept { return executor_; }

 private:
  client* client_;
  asio::any_io_executor executor_;
};

}  // namespace codex
