#pragma once
// A one-shot, thread-safe wake-up for one waiting coroutine.
//
// wait() suspends until wake() is called from any thread, or until the waiter is
// cancelled (through its Asio cancellation slot, e.g. by `wait() || timer`).
// Whichever happens first wins, and both sides learn which: a waker that lost keeps
// what it meant to hand over. A steady_timer cannot serve here because timers are not
// safe to cancel from another thread while the waiter may be arming them.
//
// A parked waiter is held by the wakeup, not by its io_context, so an io_context
// destroyed mid-wait would never destroy it (and the waiting coroutine's frames, which
// usually own the wakeup, would leak in a cycle). parked_wakeups, a service of the
// io_context, destroys the handlers still parked when the context shuts down, as Asio
// does with its own pending operations.

#include <asio/associated_cancellation_slot.hpp>
#include <asio/execution/context.hpp>
#include <asio/execution_context.hpp>
#include <asio/query.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

namespace codex::detail {

/// How a wait_until() ended.
enum class wake_result { woken, timed_out, cancelled };

class wakeup;

/// The wakeups of one execution context that hold a parked waiter (an intrusive list:
/// parking allocates nothing more). On shutdown it destroys their handlers.
class parked_wakeups final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;
  explicit parked_wakeups(asio::execution_context& context) : asio::execution_context::service(context) {}

  void add(wakeup& w);
  void remove(wakeup& w);  // nothing when `w` is not listed

 private:
  void shutdown() override;

  std::mutex mutex_;
  wakeup* first_ = nullptr;
};

class wakeup : public std::enable_shared_from_this<wakeup> {
 public:
  wakeup() = default;
  wakeup(const wakeup&) = delete;
  wakeup& operator=(const wakeup&) = delete;
  ~wakeup() { unlist(); }  // listed only while a waiter is parked: never, for a wait() kept alive by its caller

  /// Completes with true when woken, false when cancelled. Call at most once, on a
  /// wakeup owned by a shared_ptr that the caller keeps until wait() completes.
  asio::awaitable<bool> wait() {
    // The initiation captures a plain pointer on purpose: with g++ 12 and Asio 1.22 an
    // initiation that owns a shared_ptr has been seen to lose a reference count inside
    // the co_await (ASan: use-after-free). The caller's ownership keeps `this` alive.
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        [this](auto handler) { park(std::move(handler)); }, asio::use_awaitable);
  }

  /// wait() bounded by `deadline`. Settles the race between a wake() and the deadline
  /// (or the caller's cancellation): woken means the waker won and handed its value
  /// over; otherwise the waker learns it lost (wake() returns false).
  asio::awaitable<wake_result> wait_until(std::chrono::steady_clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    auto outcome = co_await (wait() || timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable)));
    if (outcome.index() == 0) co_return std::get<0>(outcome) ? wake_result::woken : wake_result::cancelled;
    if (!cancel()) co_return wake_result::woken;  // woken just before the timer fired
    // The timer ends early (aborted) only when the caller cancelled the whole wait.
    const auto [timer_error] = std::get<1>(outcome);
    co_return timer_error ? wake_result::cancelled : wake_result::timed_out;
  }

  /// Wakes the waiter (now, or as soon as it waits). Returns false if it had been
  /// cancelled first.
  bool wake() { return finish(state::woken); }

  /// Cancels the wait. Returns false if it had been woken first.
  bool cancel() { return finish(state::cancelled); }

 private:
  friend class parked_wakeups;

  enum class state { idle, waiting, woken, cancelled };

  struct parked {
    virtual ~parked() = default;
    virtual void complete(bool woken) = 0;
  };

  template <class Handler>
  struct parked_handler final : parked {
    explicit parked_handler(Handler h)
        : handler(std::move(h)),
          work(asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked)) {}
    void complete(bool woken) override {
      // Posted, never run inline: the waker may hold its own locks.
      asio::post(work, [h = std::move(handler), woken]() mutable { std::move(h)(woken); });
    }
    Handler handler;
    decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler>>(),
                          asio::execution::outstanding_work.tracked)) work;
  };

  template <class Handler>
  void park(Handler handler) {
    std::unique_lock lock(mutex_);
    if (state_ == state::woken || state_ == state::cancelled) {
      const bool woken = state_ == state::woken;
      lock.unlock();
      parked_handler<Handler>(std::move(handler)).complete(woken);
      return;
    }
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([weak = weak_from_this()](asio::cancellation_type) {
        if (auto self = weak.lock()) self->cancel();
      });
    }
    // Looked up only for a waiter that really parks (not when woken first).
    auto& registry = asio::use_service<parked_wakeups>(asio::query(asio::get_associated_executor(handler), asio::execution::context));
    parked_ = std::make_unique<parked_handler<Handler>>(std::move(handler));
    state_ = state::waiting;
    registry_ = &registry;
    registry.add(*this);  // lock order, everywhere: this wakeup's mutex, then the registry's
  }

  bool finish(state outcome) {
    std::unique_ptr<parked> to_complete;
    {
      std::lock_guard lock(mutex_);
      if (state_ == state::woken || state_ == state::cancelled) return state_ == outcome;
      state_ = outcome;
      to_complete = std::move(parked_);
      unlist();
    }
    if (to_complete) to_complete->complete(outcome == state::woken);
    return true;
  }

  /// Shutdown: the waiter will never run. Returns its handler for the caller to destroy
  /// (outside every lock: destroying it destroys the coroutine's frames).
  std::unique_ptr<parked> abandon() {
    std::lock_guard lock(mutex_);
    if (state_ == state::waiting) state_ = state::cancelled;
    registry_ = nullptr;  // already taken off the list
    return std::move(parked_);
  }

  void unlist() {
    if (registry_ != nullptr) registry_->remove(*this);
    registry_ = nullptr;
  }

  std::mutex mutex_;
  state state_ = state::idle;
  std::unique_ptr<parked> parked_;
  parked_wakeups* registry_ = nullptr;  // set while listed there
  // The registry's list, guarded by its mutex.
  wakeup* previous_ = nullptr;
  wakeup* next_ = nullptr;
  bool listed_ = false;
};

}  // namespace codex::detail
