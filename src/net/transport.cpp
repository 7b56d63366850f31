#include <codex/net/transport.hpp>

#include "detail/wakeup.hpp"
#include "net/transport_access.hpp"
#include "net/connection.hpp"
#include "net/http_codec.hpp"
#include "net/tls_context.hpp"

#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

namespace codex::net {
namespace {

using connection_ptr = std::shared_ptr<connection>;

/// A caller waiting for the pool: it is handed either an idle connection or the
/// right to open a new one (a null connection with the open slot counted for it).
struct pool_waiter {
  std::shared_ptr<detail::wakeup> wakeup = std::make_shared<detail::wakeup>();
  connection_ptr handed;  // written under the pool mutex before wake()
};

}  // namespace

struct transport::impl {
  impl(asio::any_io_executor ex, url o, transport_options opts)
      : executor(std::move(ex)), origin(std::move(o)), options(std::move(opts)), tls(options.tls) {}

  asio::any_io_executor executor;
  const url origin;
  const transport_options options;
  tls_context tls;

  std::mutex mutex;
  std::vector<connection_ptr> idle;  // most recently used last: reused first, while warm
  std::size_t open = 0;              // idle + in use + being opened
  std::deque<std::shared_ptr<pool_waiter>> waiters;

  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> sessions_resumed{0};
  std::atomic<std::uint64_t> requests_sent{0};
  std::atomic<std::uint64_t> stale_retries{0};

  bool fresh(const connection& c, connection::clock::time_point now) const {
    return c.reusable() && now - c.last_used_at() < options.idle_timeout &&
           now - c.created_at() < options.max_connection_age;
  }

  connection_ptr open_new() {
    connections_opened.fetch_add(1, std::memory_order_relaxed);
    return std::make_shared<connection>(executor, tls, origin);
  }

  /// An idle connection, a new one, or — at the connection limit — whatever a
  /// releasing caller hands over before the deadline.
  asio::awaitable<std::pair<connection_ptr, std::error_code>> acquire(connection::clock::time_point deadline) {
    std::vector<connection_ptr> expired;  // destroyed outside the lock
    std::shared_ptr<pool_waiter> waiter;
    {
      std::lock_guard lock(mutex);
      const auto now = connection::clock::now();
      while (!idle.empty()) {
        connection_ptr c = std::move(idle.back());
        idle.pop_back();
        if (fresh(*c, now)) co_return std::pair{std::move(c), std::error_code{}};
        expired.push_back(std::move(c));
        --open;
      }
      if (open < options.max_connections) {
        ++open;
        waiter = nullptr;
      } else {
        waiter = std::make_shared<pool_waiter>();
        waiters.push_back(waiter);
      }
    }
    if (!waiter) co_return std::pair{open_new(), std::error_code{}};
    co_return co_await wait_for_connection(std::move(waiter), deadline);
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
    while (!waiters.empty()) {
      auto waiter = std::move(waiters.front());
      waiters.pop_front();
      waiter->handed = keep ? c : nullptr;
      if (waiter->wakeup->wake()) return;
      waiter->handed = nullptr;  // it gave up first: try the next one
    }
    if (keep) {
      idle.push_back(std::move(c));
    } else {
      --open;
    }
  }
};

transport::transport(asio::any_io_executor executor, url origin, transport_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(origin), std::move(options))) {}

transport::~transport() = default;

asio::awaitable<result<http_response>> transport::send(http_request request, clock::time_point deadline,
                                                       bool retry_if_unsent) {
  co_return co_await transport_access::send(*this, request, deadline, retry_if_unsent);
}

asio::awaitable<result<http_response>> transport_access::send(transport& t, const http_request& request,
                                                              transport::clock::time_point deadline,
                                                              bool retry_if_unsent, std::string_view preset_fields) {
  auto self = t.impl_;  // the transport may be destroyed by the caller while we run
  // The codec would refuse this head on the connection too; refused here, it takes no
  // pool slot and counts as no request. The message names the field, never its value.
  if (auto head = codec::check_request_head(request, self->origin.authority()); !head) {
    error_info failure = head.error();
    failure.message = std::string(to_string(request.method)) + " " + self->origin.to_string() + " not sent: " + failure.message;
    co_return failure;
  }
  const bool may_resend = retry_if_unsent || is_idempotent(request.method);
  const exchange_limits limits{self->options.max_response_body, self->options.max_response_header};

  for (int attempt = 0;; ++attempt) {
    auto [conn, acquire_ec] = co_await self->acquire(deadline);
    if (acquire_ec) co_return error_info{.code = acquire_ec, .message = "waiting for a connection to " + self->origin.to_string()};

    const bool was_used = conn->used();
    self->requests_sent.fetch_add(1, std::memory_order_relaxed);
    exchange_outcome outcome = co_await conn->exchange(&request, preset_fields, deadline, limits);
    if (!was_used && conn->session_resumed()) self->sessions_resumed.fetch_add(1, std::memory_order_relaxed);
    self->give_back(std::move(conn));
    if (outcome.response) co_return std::move(outcome.response);

    // A keep-alive connection the server closed while it sat idle fails before any
    // response byte; that is not the caller's failure, so try once on a fresh one.
    const auto code = outcome.response.code();
    const bool closed_while_idle = code == errc::connection_closed || code == errc::connection_reset;
    if (attempt == 0 && was_used && !outcome.response_started && may_resend && closed_while_idle) {
      self->stale_retries.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    error_info failure = std::move(outcome.response).error();
    failure.message = std::string(to_string(request.method)) + " " + self->origin.to_string() + " failed";
    co_return failure;
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
