#include "limit/redis_client.hpp"

#include "limit/redis_reply_reader.hpp"

#include "detail/wakeup.hpp"

#include <codex/retry/backoff.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <mutex>
#include <optional>

namespace codex::limit {
namespace {

using detail::reply_reader;

using clock = std::chrono::steady_clock;
using socket_type = asio::generic::stream_protocol::socket;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

result<redis_endpoint> invalid(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
}

}  // namespace

std::string redis_endpoint::to_string() const {
  if (is_unix()) return "unix://" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
}

result<redis_endpoint> parse_redis_endpoint(std::string_view url) {
  redis_endpoint out;
  if (url.starts_with("unix://")) {
    out.path = std::string(url.substr(7));
    if (out.path.empty() || out.path.front() != '/') return invalid("a unix:// Redis URL needs an absolute path");
    return out;
  }
  if (!url.starts_with("redis://")) return invalid("a Redis URL starts with redis:// or unix://");
  std::string_view rest = url.substr(8);
  if (rest.find('@') != std::string_view::npos) return invalid("Redis URLs with a user or password are not supported");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out.db);
      if (ec != std::errc{} || end != db.data() + db.size() || out.db > 1000000)
        return invalid("the Redis database must be a number");
    }
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [IPv6] host in the Redis URL");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return invalid("unexpected text after ] in the Redis URL");
    if (!authority.empty()) port = authority.substr(1);
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid("the Redis URL has no host");
  if (!port.empty()) {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc{} || end != port.data() + port.size() || out.port == 0)
      return invalid("the Redis port must be a number from 1 to 65535");
  }
  return out;
}

std::string format_redis_command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* target = nullptr;
  const int length = redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (length < 0 || target == nullptr) throw std::bad_alloc();
  std::string out(target, static_cast<std::size_t>(length));
  redisFreeCommand(target);
  return out;
}

struct redis_client::pending {
  std::string command;
  std::shared_ptr<codex::detail::wakeup> wakeup = std::make_shared<codex::detail::wakeup>();
  std::optional<result<redis_reply>> outcome;  // written under state::mutex before wake()
  std::atomic<bool> abandoned{false};          // the caller stopped waiting: not worth sending
};

struct redis_client::state {
  state(asio::any_io_executor executor, redis_client_options opts)
      : strand(asio::make_strand(std::move(executor))),
        options(std::move(opts)),
        signal(strand, clock::time_point::max()),
        pause(strand) {}

  asio::strand<asio::any_io_executor> strand;
  redis_client_options options;

  std::mutex mutex;  // guards queue, stopped, and every pending::outcome
  std::deque<std::shared_ptr<pending>> queue;
  bool stopped = false;

  // Touched on the strand only.
  asio::steady_timer signal;  // a condition variable: cancelled when commands arrive or on stop
  asio::steady_timer pause;   // reconnect backoff: cancelled on stop only
  std::optional<socket_type> socket;

  bool is_stopped() {
    std::lock_guard lock(mutex);
    return stopped;
  }

  std::vector<std::shared_ptr<pending>> take_batch() {
    std::vector<std::shared_ptr<pending>> batch;
    std::lock_guard lock(mutex);
    while (!queue.empty() && batch.size() < 1024) {
      auto p = std::move(queue.front());
      queue.pop_front();
      if (!p->abandoned.load(std::memory_order_acquire)) batch.push_back(std::move(p));
    }
    return batch;
  }

  void deliver(const std::shared_ptr<pending>& p, result<redis_reply> outcome) {
    {
      std::lock_guard lock(mutex);
      p->outcome = std::move(outcome);
    }
    p->wakeup->wake();
  }

  void close() {
    if (socket) {
      std::error_code ignored;
      socket->close(ignored);
      socket.reset();
    }
  }

  /// Connects (and SELECTs the database) within connect_timeout.
  asio::awaitable<std::error_code> connect(reply_reader& reader) {
    using namespace asio::experimental::awaitable_operators;
    const auto deadline = clock::now() + options.connect_timeout;
    asio::steady_timer timer(strand, deadline);
    std::vector<asio::generic::stream_protocol::endpoint> endpoints;
    const auto& ep = options.endpoint;
    if (ep.is_unix()) {
      endpoints.emplace_back(asio::local::stream_protocol::endpoint(ep.path));
    } else {
      std::error_code ec;
      const auto address = asio::ip::make_address(ep.host, ec);
      if (!ec) {
        endpoints.emplace_back(asio::ip::tcp::endpoint(address, ep.port));
      } else {
        asio::ip::tcp::resolver resolver(strand);
        auto outcome = co_await (resolver.async_resolve(ep.host, std::to_string(ep.port), tuple_awaitable) ||
                                 timer.async_wait(tuple_awaitable));
        if (outcome.index() == 1) co_return make_error_code(errc::timeout);
        auto [resolve_error, results] = std::get<0>(std::move(outcome));
        if (resolve_error) co_return make_error_code(errc::resolve_failed);
        for (const auto& entry : results) endpoints.emplace_back(entry.endpoint());
      }
    }
    std::error_code last = make_error_code(errc::connect_failed);
    for (const auto& endpoint : endpoints) {
      socket_type s(strand);
      auto outcome = co_await (s.async_connect(endpoint, tuple_awaitable) || timer.async_wait(tuple_awaitable));
      if (outcome.index() == 1) co_return make_error_code(errc::timeout);
      if (auto [ec] = std::get<0>(outcome); ec) continue;
      if (!ep.is_unix()) {
        std::error_code ignored;
        s.set_option(asio::ip::tcp::no_delay(true), ignored);
      }
      socket.emplace(std::move(s));
      last = {};
      break;
    }
    if (last) co_return last;
    if (ep.db != 0) {
      const std::string select = format_redis_command({"SELECT", std::to_string(ep.db)});
      std::vector<redis_reply> replies;
      if (auto ec = co_await round_trip(select, 1, deadline, reader, replies)) {
        close();
        co_return ec;
      }
      if (replies.front().is_error()) {
        close();
        co_return make_error_code(errc::invalid_argument);
      }
    }
    co_return std::error_code{};
  }

  /// Writes `commands` (already formatted, `count` of them) and reads `count` replies.
  asio::awaitable<std::error_code> round_trip(const std::string& commands, std::size_t count,
                                              clock::time_point deadline, reply_reader& reader,
                                              std::vector<redis_reply>& replies) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(strand, deadline);
    auto written = co_await (asio::async_write(*socket, asio::buffer(commands), tuple_awaitable) ||
                             timer.async_wait(tuple_awaitable));
    if (written.index() == 1) co_return make_error_code(errc::timeout);
    if (auto [ec, n] = std::get<0>(written); ec) co_return make_error_code(errc::connection_closed);
    std::array<char, 16384> buffer;
    while (replies.size() < count) {
      bool ok = true;
      while (replies.size() < count) {
        auto reply = reader.next(ok);
        if (!ok) co_return make_error_code(errc::protocol_error);
        if (!reply) break;
        replies.push_back(std::move(*reply));
      }
      if (replies.size() == count) break;
      auto got = co_await (socket->async_read_some(asio::buffer(buffer), tuple_awaitable) ||
                           timer.async_wait(tuple_awaitable));
      if (got.index() == 1) co_return make_error_code(errc::timeout);
      auto [ec, n] = std::get<0>(got);
      if (ec) co_return make_error_code(errc::connection_closed);
      if (!reader.feed(buffer.data(), n)) co_return make_error_code(errc::protocol_error);
    }
    co_return std::error_code{};
  }
};

redis_client::redis_client(asio::any_io_executor executor, redis_client_options options)
    : state_(std::make_unique<state>(std::move(executor), std::move(options))) {}

redis_client::~redis_client() = default;

std::shared_ptr<redis_client> redis_client::start(asio::any_io_executor executor, redis_client_options options) {
  std::shared_ptr<redis_client> client(new redis_client(std::move(executor), std::move(options)));
  asio::co_spawn(client->state_->strand, run(client), asio::detached);
  return client;
}

asio::awaitable<void> redis_client::run(std::shared_ptr<redis_client> self) {
  state& s = *self->state_;
  auto backoff = s.options.reconnect_min;
  std::optional<reply_reader> reader;
  try {
    while (!s.is_stopped()) {
      if (!s.socket) {
        reader.emplace();
        if (auto ec = co_await s.connect(*reader)) {
          self->failures_.fetch_add(1, std::memory_order_relaxed);
          // Full jitter over [backoff/2, backoff], so that many clients do not reconnect in step.
          const auto half = std::max<std::int64_t>(backoff.count() / 2, 1);
          const auto wait = std::chrono::milliseconds(half + static_cast<std::int64_t>(retry::jitter_bits() % static_cast<std::uint64_t>(half + 1)));
          backoff = std::min(backoff * 2, s.options.reconnect_max);
          s.pause.expires_after(wait);
          co_await s.pause.async_wait(tuple_awaitable);
          continue;
        }
        backoff = s.options.reconnect_min;
        self->connects_.fetch_add(1, std::memory_order_relaxed);
        self->connected_.store(true, std::memory_order_release);
      }

      auto batch = s.take_batch();
      if (batch.empty()) {
        s.signal.expires_at(clock::time_point::max());
        co_await s.signal.async_wait(tuple_awaitable);
        continue;
      }
      std::string commands;
      for (const auto& p : batch) commands += p->command;
      self->commands_.fetch_add(batch.size(), std::memory_order_relaxed);
      self->round_trips_.fetch_add(1, std::memory_order_relaxed);
      std::vector<redis_reply> replies;
      replies.reserve(batch.size());
      const auto ec = co_await s.round_trip(commands, batch.size(), clock::now() + s.options.reply_timeout, *reader, replies);
      if (ec) {
        // The commands may or may not have run; the connection is not reused.
        s.close();
        self->connected_.store(false, std::memory_order_release);
        self->failures_.fetch_add(1, std::memory_order_relaxed);
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (i < replies.size()) {
          s.deliver(batch[i], std::move(replies[i]));
        } else {
          s.deliver(batch[i], error_info{.code = ec, .message = "Redis: " + ec.message()});
        }
      }
    }
  } catch (const std::exception&) {  // allocation failure: end as if stopped, failing every waiter
  }
  s.close();
  self->connected_.store(false, std::memory_order_release);
  self->fail_queued(make_error_code(errc::cancelled));
}

void redis_client::fail_queued(const std::error_code& code) {
  std::deque<std::shared_ptr<pending>> queue;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    queue.swap(state_->queue);
  }
  for (auto& p : queue) state_->deliver(p, error_info{.code = code, .message = "the Redis client was stopped"});
}

asio::awaitable<result<redis_reply>> redis_client::exec(std::vector<std::string> args, clock::time_point deadline) {
  auto self = shared_from_this();
  auto p = std::make_shared<pending>();
  p->command = format_redis_command(args);
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) co_return error_info{.code = make_error_code(errc::cancelled), .message = "the Redis client was stopped"};
    state_->queue.push_back(p);
  }
  asio::post(state_->strand, [self] { self->state_->signal.cancel(); });
  const auto how = co_await p->wakeup->wait_until(deadline);
  if (how == codex::detail::wake_result::woken) {
    std::lock_guard lock(state_->mutex);
    co_return std::move(*p->outcome);
  }
  p->abandoned.store(true, std::memory_order_release);
  const bool cancelled = how == codex::detail::wake_result::cancelled;
  co_return error_info{.code = make_error_code(cancelled ? errc::cancelled : errc::timeout),
                       .message = cancelled ? "Redis command cancelled" : "no reply from Redis before the deadline"};
}

redis_client_stats redis_client::stats() const noexcept {
  return {.commands = commands_.load(std::memory_order_relaxed),
          .round_trips = round_trips_.load(std::memory_order_relaxed),
          .connects = connects_.load(std::memory_order_relaxed),
          .failures = failures_.load(std::memory_order_relaxed)};
}

void redis_client::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
  }
  asio::post(state_->strand, [self = shared_from_this()] {
    self->state_->signal.cancel();
    self->state_->pause.cancel();
    // Closed, not destroyed: the loop may be inside an operation on it.
    if (self->state_->socket) {
      std::error_code ignored;
      self->state_->socket->close(ignored);
    }
  });
}

}  // namespace codex::limit
