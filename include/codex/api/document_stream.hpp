#pragma once
// codex::document_stream — every document of a listing, one at a time, following
// next_cursor page after page with one page fetched ahead.

#include <codex/api/async.hpp>
#include <codex/api/document.hpp>
#include <codex/api/list_options.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <memory>
#include <optional>

namespace codex {

class client;

/// The documents of GET /documents, across pages, as documents().list_all() returns
/// them.
///
/// Nothing is sent until the first next(). When a page arrives and it has a
/// next_cursor, the request for the following page starts at once, in the background,
/// while the caller consumes the current one: at most one page is fetched ahead, so
/// memory stays bounded by two pages. A document inserted or removed during the walk
/// may or may not be seen (as the service's cursors allow); none is seen twice.
///
/// Forms, as for documents: try_next() never throws codex::error; next() throws it;
/// next(token) takes any completion token (signature void(std::exception_ptr,
/// std::optional<document>)). A failed page (an error from next()) is requested again
/// by the following next() — so a caller may retry after, say, errc::rate_limited —
/// and nothing already returned is returned again.
///
/// Thread-safety: one consumer: next() calls must not overlap. A call in progress
/// does not refer to the stream object (it shares the stream's state), so the stream
/// may be moved or destroyed meanwhile. Destroying a stream with a
/// page in flight is allowed: that request finishes in the background and its page is
/// dropped. The client must outlive the stream and that background request.
class document_stream {
 public:
  /// A stream over `api`'s documents matching `options` (limit = page size).
  document_stream(client& api, list_options options);
  ~document_stream();
  /// Takes over the other stream's walk, a page in flight included. The moved-from
  /// stream may only be destroyed or assigned to.
  document_stream(document_stream&&) noexcept;
  /// Drops this stream's walk (as the destructor does) and takes over the other's. The
  /// moved-from stream may only be destroyed or assigned to.
  document_stream& operator=(document_stream&&) noexcept;
  document_stream(const document_stream&) = delete;
  document_stream& operator=(const document_stream&) = delete;

  /// The next document, or std::nullopt after the last one. Errors: those of
  /// documents().list() (invalid_argument for a bad limit, decode_error, service errors);
  /// errc::cursor_repeated when a page names a cursor the walk already followed (a
  /// server that would lead it round in a circle), after that page's documents (no
  /// page is fetched twice); every later call returns the same error.
  asio::awaitable<result<std::optional<document>>> try_next();
  /// As try_next(), but returns the document (or std::nullopt at the end) and throws
  /// codex::error on failure.
  asio::awaitable<std::optional<document>> next();
  /// As next(), with any completion token: signature void(std::exception_ptr,
  /// std::optional<document>). Runs on the client's executor.
  template <completion_token_for_call<std::optional<document>> Token>
  auto next(Token&& token) {
    return async_call(executor(), next(), std::forward<Token>(token));
  }

  /// Pages received so far (including one fetched ahead and not yet consumed).
  std::size_t pages_fetched() const noexcept;

 private:
  struct state;
  const asio::any_io_executor& executor() const noexcept;
  std::shared_ptr<state> state_;
};

}  // namespace codex
