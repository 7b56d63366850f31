#include <codex/net/transport.hpp>

#include "detail/wakeup.hpp"
#include "net/send_borrowed.hpp"
#include "net/connection.hpp"
#include "net/http_codec.hpp"
#include "net/pool_rules.hpp"
#include "net/proxy.hpp"
#include "net/tls_context.hpp"

#include <asio/bind_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <typeinfo>
#include <deque>
#include <mutex>
#include <vector>

namespace codex::net {
namespace {

using connection_ptr = std::shared_ptr<connection>;

/// The executor inside `executor` if it is a T. (Asio 1.22's any_executor::target<T>()
/// casts without checking the type: compare target_type() first.)
template <class T>
const T* target_of(const asio::any_io_executor& executor) {
  return executor.target_type() == typeid(T) ? executor.target<T>() : nullptr;
}

using io_executor = asio::io_context::executor_type;
using tracked_io_executor =
    std::decay_t<decltype(asio::require(std::declval<io_executor>(), asio::execution::outstanding_work.tracked))>;

/// The executor of the io_context that `executor` belongs to: the connections' strands
/// are over its concrete type (see connection). An io_context's executor (counting
/// work or not) or a strand over one; anything else is refused.
asio::io_context::executor_type io_executor_of(const asio::any_io_executor& executor) {
  if (const auto* io = target_of<io_executor>(executor)) return *io;
  if (const auto* io = target_of<tracked_io_executor>(executor))
    return asio::require(*io, asio::execution::outstanding_work.untracked);
  if (const auto* strand = target_of<asio::strand<io_executor>>(executor)) return strand->get_inner_executor();
  if (const auto* strand = target_of<asio::strand<asio::any_io_executor>>(executor))
    return io_executor_of(strand->get_inner_executor());
  throw codex::error(error_info{.code = make_error_code(errc::invalid_argument),
                                .message = "the executor must be an asio::io_context's, or a strand over one"});
}

/// Whether code after an exchange may go on where the exchange ended, on the
/// connection's strand: yes for an io_context's executor (which promises no
/// serialisation); a caller on a strand, or any other executor, is taken back to it.
bool may_stay_on_connection_strand(const asio::any_io_executor& caller) {
  return target_of<io_executor>(caller) != nullptr || target_of<tracked_io_executor>(caller) != nullptr;
}

/// The proxy route of `origin`, or none; a malformed proxy URL is a configuration
/// error, thrown at construction as the base URL's are.
std::optional<proxy_route> route_or_throw(const proxy_options& options, const url& origin) {
  auto route = route_for(options, origin);
  if (!route) throw codex::error(std::move(route).error());
  return std::move(*route);
}

/// A caller waiting for the pool: it is handed either an idle connection or the
/// right to open a new one (a null connection with the open slot counted for it).
struct pool_waiter {
  std::shared_ptr<detail::wakeup> wakeup = std::make_shared<detail::wakeup>();
  connection_ptr handed;  // written under the pool mutex before wake()
};

}  // namespace

struct transport::impl {
  impl(const asio::any_io_executor& ex, url o, transport_options opts)
      : executor(io_executor_of(ex)),
        origin(std::move(o)),
        authority(origin.authority()),
        options(std::move(opts)),
        limits{.max_connections = options.max_connections, .idle_timeout = options.idle_timeout,
               .max_age = options.max_connection_age},
        tls(options.tls),
        proxy(route_or_throw(options.proxy, origin)) {}

  asio::io_context::executor_type executor;
  const url origin;
  const std::string authority;  ///< the Host header's value
  const transport_options options;
  const pool::limits limits;
  tls_context tls;
  const std::optional<proxy_route> proxy;  ///< none: connections go direct

  std::mutex mutex;
  std::vector<connection_ptr> idle;  // most recently used last: reused first, while warm
  std::size_t open = 0;              // idle + in use + being opened
  std::deque<std::shared_ptr<pool_waiter>> waiters;

  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> sessions_resumed{0};
  std::atomic<std::uint64_t> requests_sent{0};
  std::atomic<std::uint64_t> stale_retries{0};

  bool fresh(const connection& c, connection::clock::time_point now) const {
    return pool::is_fresh({.reusable = c.reusable(), .created_at = c.created_at(), .last_used_at = c.last_used_at()}, now,
                          limits);
  }

  connection_ptr open_new() {
    connections_opened.fetch_add(1, std::memory_order_relaxed);
    return std::make_shared<connection>(executor, tls, origin, proxy ? &*proxy : nullptr);
  }

  /// What the pool has for a caller right now: an idle connection, the right to open
  /// one (neither set), or — at the limit — a waiter queued for one given back. Stale
  /// idle connections go to `expired`, to be closed outside the lock.
  struct offer {
    connection_ptr idle;
    std::shared_ptr<pool_waiter> waiter;
  };
  offer try_acquire(std::vector<connection_ptr>& expired) {
    std::lock_guard lock(mutex);
    const auto now = connection::clock::now();
    while (!idle.empty() && !fresh(*idle.back(), now)) {
      expired.push_back(std::move(idle.back()));
      idle.pop_back();
      --open;
    }
    switch (pool::decide_acquire(!idle.empty(), open, limits)) {
      case pool::acquire_step::reuse_idle: {
        offer o{.idle = std::move(idle.back()), .waiter = nullptr};
        idle.pop_back();
        return o;
      }
      case pool::acquire_step::open_new:
        ++open;
        return {};
      case pool::acquire_step::wait:
        break;
    }
    offer o{.idle = nullptr, .waiter = std::make_shared<pool_waiter>()};
    waiters.push_back(o.waiter);
    return o;
  }

  asio::awaitable<std::pair<connection_ptr, std::error_code>> wait_for_connection(
      std::shared_ptr<pool_waiter> waiter, connection::clock::time_point deadline) {
    const auto result = co_await waiter->wakeup->wait_until(deadline);
    if (result == detail::wake_result::woken) {
      connection_ptr handed;
      {
        std::lock_guard lock(mutex);
        handed = std::move(waiter->handed);
      }
      if (connection::clock::now() < deadline) co_return std::pair{handed ? handed : open_new(), std::error_code{}};
      give_back(std::move(handed));
    } else {
      std::lock_guard lock(mutex);
      std::erase(waiters, waiter);
    }
    const bool cancelled = result == detail::wake_result::cancelled;
    co_return std::pair{nullptr, make_error_code(cancelled ? errc::cancelled : errc::timeout)};
  }

  /// Returns a connection after use: to a waiter, to the idle list, or closed. A null
  /// or broken one frees its slot, which a waiter may take to open a new connection.
  void give_back(connection_ptr c) {
    const bool keep = c && fresh(*c, connection::clock::now());
    std::lock_guard lock(mutex);
    release(std::move(c), keep);
    if (idle.size() == open) {  // none in use: let the watchdogs stop
      for (auto& quiet : idle) quiet->quiesce();
    }
  }

  void release(connection_ptr c, bool keep) {
    for (;;) {
      switch (pool::decide_release(keep, !waiters.empty())) {
        case pool::release_step::hand_to_waiter: {
          auto waiter = std::move(waiters.front());
          waiters.pop_front();
          waiter->handed = keep ? c : nullptr;
          if (waiter->wakeup->wake()) return;
          waiter->handed = nullptr;  // it gave up first: try the next one
          continue;
        }
        case pool::release_step::keep_idle:
          idle.push_back(std::move(c));
          return;
        case pool::release_step::close:
          --open;
          return;
      }
    }
  }

  /// send_borrowed() once the head is checked: the pool, the exchange and the one
  /// resend on a fresh connection.
  static asio::awaitable<sent_request> send(std::shared_ptr<impl> self, const http_request& request,
                                            clock::time_point deadline, bool retry_if_unsent,
                                            std::string_view preset_fields);
};

transport::transport(asio::any_io_executor executor, url origin, transport_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(origin), std::move(options))) {}

transport::~transport() = default;

asio::awaitable<result<http_response>> transport::send(http_request request, clock::time_point deadline,
                                                       bool retry_if_unsent) {
  co_return (co_await send_borrowed(*this, request, deadline, retry_if_unsent)).response;
}

namespace {

// The cold ends of a send, out of its coroutine: what a function's own stack holds
// stays out of the coroutine's frame, which then fits Asio's per-thread cache of
// recycled frames (1,020 bytes in Asio 1.22).

asio::awaitable<sent_request> refused(sent_request outcome) { co_return outcome; }

sent_request failed_waiting(std::error_code ec, const url& origin) {
  return {.response = error_info{.code = ec, .message = "waiting for a connection to " + origin.to_string()}};
}

sent_request failed_exchange(const http_request& request, const url& origin, exchange_outcome outcome) {
  error_info failure = std::move(outcome.response).error();
  std::string detail = std::move(failure.message);  // e.g. which proxy, and its status
  failure.message = std::string(to_string(request.method)) + " " + origin.to_string() + " failed";
  if (!detail.empty()) failure.message += ": " + detail;
  return {.response = std::move(failure), .request_written = outcome.request_written};
}

}  // namespace

asio::awaitable<sent_request> send_borrowed(transport& t, const http_request& request,
                                            transport::clock::time_point deadline, bool retry_if_unsent,
                                            std::string_view preset_fields) {
  // Checked once an attempt, here: refused, it takes no pool slot and counts as
  // no request; accepted, the connections write it unchecked. The message names the
  // field, never its value.
  if (auto head = codec::check_request_head(request, t.impl_->authority); !head) {
    error_info failure = head.error();
    failure.message =
        std::string(to_string(request.method)) + " " + t.impl_->origin.to_string() + " not sent: " + failure.message;
    return refused(sent_request{.response = std::move(failure)});
  }
  return transport::impl::send(t.impl_, request, deadline, retry_if_unsent, preset_fields);
}

asio::awaitable<sent_request> transport::impl::send(std::shared_ptr<impl> self, const http_request& request,
                                                    clock::time_point deadline, bool retry_if_unsent,
                                                    std::string_view preset_fields) {
  // `self` is held by the frame: the transport may be destroyed by the caller while we run.
  const bool may_resend = retry_if_unsent || is_idempotent(request.method);
  const auto caller = co_await asio::this_coro::executor;
  const bool cancellable = (co_await asio::this_coro::cancellation_state).slot().is_connected();
  const exchange_limits limits{self->options.max_response_body, self->options.max_response_header};

  for (int attempt = 0;; ++attempt) {
    connection_ptr conn;
    {
      std::vector<connection_ptr> expired;
      auto offer = self->try_acquire(expired);
      if (offer.idle) {
        conn = std::move(offer.idle);
      } else if (!offer.waiter) {
        conn = self->open_new();
      } else {
        auto [handed, wait_ec] = co_await self->wait_for_connection(std::move(offer.waiter), deadline);
        if (wait_ec) co_return failed_waiting(wait_ec, self->origin);
        conn = std::move(handed);
      }
    }

    const bool was_used = conn->used();
    self->requests_sent.fetch_add(1, std::memory_order_relaxed);
    exchange_outcome outcome = co_await conn->exchange(&request, preset_fields, deadline, limits, cancellable);
    if (!may_stay_on_connection_strand(caller)) co_await asio::dispatch(asio::bind_executor(caller, asio::use_awaitable));
    if (!was_used && conn->session_resumed()) self->sessions_resumed.fetch_add(1, std::memory_order_relaxed);
    self->give_back(std::move(conn));
    if (outcome.response) co_return sent_request{.response = std::move(outcome.response), .request_written = true};

    // A keep-alive connection the server closed while it sat idle fails before any
    // response byte; that is not the caller's failure, so try once on a fresh one.
    if (pool::resend_on_new_connection(attempt, was_used, outcome.response_started, may_resend, outcome.response.code())) {
      self->stale_retries.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    co_return failed_exchange(request, self->origin, std::move(outcome));
  }
}

const url& transport::origin() const noexcept { return impl_->origin; }

transport_stats transport::stats() const noexcept {
  return {.connections_opened = impl_->connections_opened.load(),
          .sessions_resumed = impl_->sessions_resumed.load(),
          .requests_sent = impl_->requests_sent.load(),
          .stale_retries = impl_->stale_retries.load()};
}

void transport::close_idle() {
  std::vector<connection_ptr> closing;
  std::lock_guard lock(impl_->mutex);
  impl_->open -= impl_->idle.size();
  closing.swap(impl_->idle);
}

}  // namespace codex::net
