// detail::wakeup: who wins between wake(), the deadline and cancellation, and what
// becomes of a waiter still parked when its io_context is destroyed. The coroutines are
// spawned detached, not through run_coroutine: these cases drive the io_context a step at
// a time and destroy it mid-wait; each writes what it saw to a local that is checked.

#include "detail/wakeup.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

using codex::detail::wake_result;
using codex::detail::wakeup;
using namespace std::chrono_literals;

namespace {

/// Counts its destructions: held in a coroutine frame, it tells whether the frame went.
struct frame_witness {
  int* destroyed;
  ~frame_witness() { ++*destroyed; }
};

}  // namespace

TEST_CASE("a wake() before the wait is kept for it; a second wake() changes nothing", "[wakeup]") {
  asio::io_context io;
  auto w = std::make_shared<wakeup>();
  REQUIRE(w->wake());
  CHECK(w->wake());  // already woken: the same outcome, reported as such
  CHECK_FALSE(w->cancel());
  std::optional<bool> woken;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { woken = co_await w->wait(); }, asio::detached);
  io.run();
  REQUIRE(woken.has_value());
  CHECK(*woken);
}

TEST_CASE("a wake() from another thread ends the wait before its deadline", "[wakeup]") {
  asio::io_context io;
  auto w = std::make_shared<wakeup>();
  std::optional<wake_result> how;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { how = co_await w->wait_until(std::chrono::steady_clock::now() + 60s); },
                 asio::detached);
  io.run_one();  // the coroutine parks (and arms its timer)
  std::thread waker([&] { CHECK(w->wake()); });
  io.run();
  waker.join();
  REQUIRE(how.has_value());
  CHECK(*how == wake_result::woken);
}

TEST_CASE("the deadline wins when nobody wakes, and a late waker learns it lost", "[wakeup]") {
  asio::io_context io;
  auto w = std::make_shared<wakeup>();
  std::optional<wake_result> how;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { how = co_await w->wait_until(std::chrono::steady_clock::now() + 5ms); },
                 asio::detached);
  io.run();
  REQUIRE(how.has_value());
  CHECK(*how == wake_result::timed_out);
  CHECK_FALSE(w->wake());
}

TEST_CASE("an io_context destroyed mid-wait destroys the parked coroutine's frames", "[wakeup]") {
  // The frame owns the wakeup and the wakeup the frame's handler: without the service
  // that destroys parked handlers on shutdown, this cycle leaked (ASan: the Redis
  // client's state, held by a command still waiting when the codex CLI exited).
  int destroyed = 0;
  std::weak_ptr<wakeup> watched;
  bool resumed = false;
  {
    asio::io_context io;
    auto w = std::make_shared<wakeup>();
    watched = w;
    asio::co_spawn(io, [w = std::move(w), &destroyed, &resumed]() -> asio::awaitable<void> {
        frame_witness witness{&destroyed};
        co_await w->wait_until(std::chrono::steady_clock::now() + 60s);
        resumed = true;
      }, asio::detached);
    io.run_one();
    REQUIRE(destroyed == 0);
    REQUIRE_FALSE(watched.expired());
    io.stop();
  }
  CHECK(destroyed == 1);
  CHECK(watched.expired());
  CHECK_FALSE(resumed);
}

TEST_CASE("a wakeup woken after its io_context is gone is left alone", "[wakeup]") {
  std::shared_ptr<wakeup> w = std::make_shared<wakeup>();
  {
    asio::io_context io;
    asio::co_spawn(io, [w]() -> asio::awaitable<void> { co_await w->wait(); }, asio::detached);
    io.run_one();
  }
  CHECK_FALSE(w->wake());  // the shutdown cancelled it; nothing is posted to a dead context
  CHECK(w.use_count() == 1);
}
