#include <codex/api/document_stream.hpp>

#include <codex/api/documents.hpp>

#include "call/session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <exception>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace codex {
namespace {

/// What a page fetched ahead delivers: the page or the call's failure — or the
/// exception the fetch threw (std::bad_alloc, say), rethrown by next().
using page_outcome = std::optional<result<page<document>>>;
using page_channel = asio::experimental::concurrent_channel<void(asio::error_code, std::exception_ptr, page_outcome)>;

}  // namespace

struct document_stream::state {
  state(client& api, list_options opts)
      : api(&api),
        executor(call::session_of(api).executor()),
        options(std::move(opts)),
        cursor(options.cursor),
        followed(cursor ? std::unordered_set<std::string>{*cursor} : std::unordered_set<std::string>{}),
        // Room for the one page fetched ahead: its sender never waits.
        ahead(std::make_shared<page_channel>(executor, 1)) {}

  client* api;
  asio::any_io_executor executor;
  list_options options;

  std::vector<document> current;  ///< the page being consumed
  std::size_t position = 0;       ///< next document of `current` to hand out
  /// True while a page remains to be fetched: the one at `cursor` (nullopt: the first).
  bool more = true;
  std::optional<std::string> cursor;
  bool fetching_ahead = false;    ///< the page at `cursor` is in flight, to arrive on `ahead`
  /// Every cursor followed so far (and the one the walk started at): a page naming one
  /// of them again would lead round the same pages for ever. A few dozen bytes a page.
  std::unordered_set<std::string> followed;
  /// Set once a page repeated a cursor: every later next() returns it.
  std::optional<error_info> ended_by;
  std::shared_ptr<page_channel> ahead;
  std::atomic<std::size_t> pages{0};

  list_options page_options() const {
    list_options o = options;
    o.cursor = cursor;
    return o;
  }

  /// Starts fetching the page at `cursor` in the background. The request shares the
  /// state, so it may outlive the stream.
  static void fetch_ahead(const std::shared_ptr<state>& s);

  /// Never throws: every outcome goes into the channel, whose buffer always has room.
  /// Touches only what is safe beside a running next(): the channel and the counter.
  static asio::awaitable<void> fetch_into(std::shared_ptr<state> s, documents docs, list_options o) {
    std::exception_ptr thrown;
    page_outcome outcome;
    try {
      outcome.emplace(co_await docs.try_list(std::move(o)));
      if (*outcome) s->pages.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      thrown = std::current_exception();
    }
    s->ahead->try_send(asio::error_code{}, thrown, std::move(outcome));
  }

  /// Takes `fetched` as the current page; ends the walk after it if its cursor was seen.
  void accept(page<document>&& fetched);

  static asio::awaitable<result<std::optional<document>>> next(std::shared_ptr<state> s);
  static asio::awaitable<result<page<document>>> receive_ahead(std::shared_ptr<state> s);
};

void document_stream::state::fetch_ahead(const std::shared_ptr<state>& s) {
  s->fetching_ahead = true;
  // Named arguments only: see api/call.hpp on g++ 12 and aggregate coroutine arguments.
  documents docs{*s->api};
  list_options o = s->page_options();
  asio::co_spawn(s->executor, fetch_into(s, docs, std::move(o)), asio::detached);
}

document_stream::document_stream(client& api, list_options options)
    : state_(std::make_shared<state>(api, std::move(options))) {}

document_stream::~document_stream() = default;
document_stream::document_stream(document_stream&&) noexcept = default;
document_stream& document_stream::operator=(document_stream&&) noexcept = default;

asio::awaitable<result<std::optional<document>>> document_stream::try_next() { return state::next(state_); }

asio::awaitable<std::optional<document>> document_stream::next() {
  return codex::detail::value_or_throw(try_next());
}

std::size_t document_stream::pages_fetched() const noexcept { return state_->pages.load(std::memory_order_relaxed); }

const asio::any_io_executor& document_stream::executor() const noexcept { return state_->executor; }

/// The page fetched ahead, once it arrives.
asio::awaitable<result<page<document>>> document_stream::state::receive_ahead(std::shared_ptr<state> s) {
  auto [ec, thrown, outcome] = co_await s->ahead->async_receive(asio::experimental::as_tuple(asio::use_awaitable));
  s->fetching_ahead = false;
  if (thrown) std::rethrow_exception(thrown);
  if (ec || !outcome) {
    co_return error_info{.code = make_error_code(errc::cancelled),
                         .message = "the page fetched ahead was lost: " + ec.message()};
  }
  co_return std::move(*outcome);
}

void document_stream::state::accept(page<document>&& fetched) {
  current = std::move(fetched.data);
  more = fetched.next_cursor && !fetched.next_cursor->empty();
  if (more && !followed.insert(*fetched.next_cursor).second) {
    // No page is fetched twice, so this page's documents are new: they are handed out,
    // and the error comes after them.
    more = false;
    ended_by = error_info{.code = make_error_code(errc::cursor_repeated),
                          .message = "page " + std::to_string(pages.load(std::memory_order_relaxed)) +
                                     " of the listing names a cursor already followed; the walk stops there"};
    return;
  }
  cursor = std::move(fetched.next_cursor);
}

asio::awaitable<result<std::optional<document>>> document_stream::state::next(std::shared_ptr<state> s) {
  for (;;) {
    if (s->position < s->current.size()) co_return std::optional<document>(std::move(s->current[s->position++]));
    if (s->ended_by) co_return *s->ended_by;
    // The page is consumed: free it before the next one arrives (two pages at most).
    s->current = {};
    s->position = 0;
    if (!s->more) co_return std::optional<document>();

    // One co_await for both sources: with two, GCC 12 -O2 reports a false
    // -Wmismatched-new-delete on this coroutine's frame.
    const bool from_ahead = s->fetching_ahead;
    auto pending = from_ahead ? receive_ahead(s) : documents{*s->api}.try_list(s->page_options());
    result<page<document>> fetched = co_await std::move(pending);
    // A failed page stays pending (`cursor` unchanged): the next call asks for it again.
    if (!fetched) co_return std::move(fetched).error();

    if (!from_ahead) s->pages.fetch_add(1, std::memory_order_relaxed);
    s->accept(std::move(*fetched));
    if (s->more) fetch_ahead(s);
  }
}

}  // namespace codex
