#pragma once
// Runs a coroutine test to completion on an io_context, with a deadline; and the
// coroutine tests' own sleep.
//
// As Boost.Redis's run_coroutine_test: the io_context runs until the coroutine
// finishes or the deadline passes; the coroutine's exception is rethrown here, and a
// coroutine that never finished fails the test — co_spawn(detached) would hide both.

#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace codex::test {

/// Runs `make_coroutine(executor)` (returning asio::awaitable<T>) on a fresh
/// io_context driven by `threads` threads and returns its value. Throws what the
/// coroutine threw, or std::runtime_error when it did not finish within `deadline`.
template <class MakeCoroutine>
auto run_coroutine(MakeCoroutine make_coroutine,
                   std::chrono::milliseconds deadline = std::chrono::seconds(30), int threads = 1) {
  asio::io_context io{threads};
  using awaitable_type = decltype(make_coroutine(io.get_executor()));
  using value_type = typename awaitable_type::value_type;
  using stored_type = std::conditional_t<std::is_void_v<value_type>, bool, value_type>;

  std::exception_ptr failure;
  std::optional<stored_type> value;
  std::atomic<bool> finished{false};
  auto on_done = [&](std::exception_ptr e, auto&&... v) {
    failure = e;
    if constexpr (sizeof...(v) == 0) {
      value.emplace(true);
    } else if (!e) {
      value.emplace(std::move(v)...);
    }
    finished = true;
    io.stop();  // background work (idle timers, server threads' sockets) must not keep us here
  };
  asio::co_spawn(io, make_coroutine(io.get_executor()), on_done);

  std::vector<std::thread> helpers;
  for (int i = 1; i < threads; ++i) helpers.emplace_back([&] { io.run_for(deadline); });
  io.run_for(deadline);
  io.stop();
  for (auto& t : helpers) t.join();
  if (!finished) throw std::runtime_error("coroutine did not finish within its deadline");
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<value_type>) return std::move(*value);
}

namespace detail {

/// run_all's bookkeeping, on a strand of its own (the tasks may run on several threads).
inline asio::awaitable<void> run_all_on_strand(std::size_t count,
                                               std::function<asio::awaitable<void>(std::size_t)> task,
                                               asio::any_io_executor pool) {
  auto strand = co_await asio::this_coro::executor;
  asio::steady_timer all_done{strand, std::chrono::steady_clock::time_point::max()};
  std::size_t remaining = count;
  std::exception_ptr failure;
  for (std::size_t i = 0; i < count; ++i) {
    asio::co_spawn(pool, task(i), [&, strand](std::exception_ptr e) {
      asio::dispatch(strand, [&, e] {
        if (e && !failure) failure = e;
        // expires_at also ends a wait that has not begun yet: no lost wake-up.
        if (--remaining == 0) all_done.expires_at(std::chrono::steady_clock::time_point::min());
      });
    });
  }
  while (remaining > 0) co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

/// Runs task(0) … task(count - 1) concurrently on the current executor (which may be
/// run by several threads) and returns once every one has finished. Rethrows the first
/// exception a task threw: co_spawn(detached) would hide it.
inline asio::awaitable<void> run_all(std::size_t count, std::function<asio::awaitable<void>(std::size_t)> task) {
  auto pool = co_await asio::this_coro::executor;
  co_await asio::co_spawn(asio::make_strand(pool), detail::run_all_on_strand(count, std::move(task), pool),
                          asio::use_awaitable);
}

/// Suspends the calling coroutine for `duration` on a timer of its executor.
inline asio::awaitable<void> sleep_for(std::chrono::nanoseconds duration) {
  asio::steady_timer timer{co_await asio::this_coro::executor, duration};
  co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

}  // namespace codex::test
