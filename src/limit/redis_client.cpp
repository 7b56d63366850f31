#include "limit/redis_client.hpp"

#include "limit/redis_reply_reader.hpp"

#include "detail/wakeup.hpp"
#include "net/tls_context.hpp"

#include <codex/retry/backoff.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
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

/// Redis's own words, with the password masked should it ever echo it back.
std::string without_password(std::string text, const auth::secret& password) {
  const std::string_view value = password.reveal();
  if (value.empty()) return text;
  for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + 3)) text.replace(at, value.size(), "***");
  return text;
}

std::optional<error_info> refused(errc code, std::string message) {
  return error_info{.code = make_error_code(code), .message = std::move(message)};
}

}  // namespace

std::vector<handshake_step> handshake_steps(const redis_endpoint& endpoint) {
  std::vector<handshake_step> steps;
  if (!endpoint.password.empty()) steps.push_back(handshake_step::auth);
  if (endpoint.db != 0) steps.push_back(handshake_step::select);
  if (endpoint.is_sentinel()) steps.push_back(handshake_step::role);
  return steps;
}

std::string format_handshake(const redis_endpoint& endpoint, const std::vector<handshake_step>& steps) {
  std::string out;
  for (const auto step : steps) {
    if (step == handshake_step::select) {
      out += format_redis_command({"SELECT", std::to_string(endpoint.db)});
      continue;
    }
    if (step == handshake_step::role) {
      out += format_redis_command({"ROLE"});
      continue;
    }
    std::vector<std::string> args = {"AUTH"};
    if (!endpoint.user.empty()) args.push_back(endpoint.user);
    args.emplace_back(endpoint.password.reveal());
    std::string auth = format_redis_command(args);
    out += auth;
    OPENSSL_cleanse(auth.data(), auth.size());
    OPENSSL_cleanse(args.back().data(), args.back().size());
  }
  return out;
}

std::optional<error_info> handshake_refusal(handshake_step step, const redis_reply& reply, const redis_endpoint& endpoint) {
  const std::string where = "Redis at " + endpoint.to_string();
  if (step == handshake_step::role) {
    // Not a refusal: during a failover Sentinel may still name the old master; ask again.
    if (reply.type == redis_reply::kind::array && !reply.elements.empty() && reply.elements[0].text == "master")
      return std::nullopt;
    return refused(errc::io_error, where + ": the node Sentinel named is not the master (ROLE " +
                                       (reply.elements.empty() ? reply.text : reply.elements[0].text) + ")");
  }
  if (reply.type == redis_reply::kind::status && reply.text == "OK") return std::nullopt;
  if (!reply.is_error()) return refused(errc::protocol_error, where + " answered the handshake with an unexpected reply");
  const std::string words = without_password(reply.text, endpoint.password);
  if (step == handshake_step::select)
    return refused(errc::invalid_argument, where + " refused database " + std::to_string(endpoint.db) + ": " + words);
  const std::string who = endpoint.user.empty() ? "the password" : "the password of user '" + endpoint.user + "'";
  return refused(errc::credentials_rejected, where + " refused " + who + ": " + words);
}

std::optional<sentinel_address> master_from_sentinel(const redis_reply& reply) {
  if (reply.type != redis_reply::kind::array || reply.elements.size() != 2) return std::nullopt;
  const auto& host = reply.elements[0];
  const auto& port = reply.elements[1];
  if (host.type != redis_reply::kind::string || port.type != redis_reply::kind::string || host.text.empty()) return std::nullopt;
  sentinel_address out{.host = host.text};
  const auto [end, ec] = std::from_chars(port.text.data(), port.text.data() + port.text.size(), out.port);
  if (ec != std::errc{} || end != port.text.data() + port.text.size() || out.port == 0) return std::nullopt;
  return out;
}

bool is_switch_of(const redis_reply& message, std::string_view master_name) {
  if (message.type != redis_reply::kind::array || message.elements.size() != 3) return false;
  const auto& e = message.elements;
  return e[0].text == "message" && e[1].text == "+switch-master" && e[2].text.size() > master_name.size() &&
         e[2].text.starts_with(master_name) && e[2].text[master_name.size()] == ' ';
}

bool is_not_master(const redis_reply& reply) noexcept {
  return reply.is_error() && reply.text.find("READONLY") != std::string::npos;
}

bool is_refusal(const std::error_code& code) noexcept {
  return code == errc::credentials_rejected || code == errc::certificate_rejected || code == errc::host_name_mismatch ||
         code == errc::client_certificate_rejected || code == errc::invalid_argument || code == errc::permission_denied;
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
  // The buffer may have held a password (AUTH).
  OPENSSL_cleanse(target, static_cast<std::size_t>(length));
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
        tls(options.endpoint.tls ? std::make_unique<net::tls_context>(options.tls) : nullptr),
        steps(handshake_steps(options.endpoint)),
        signal(strand, clock::time_point::max()),
        pause(strand) {}

  asio::strand<asio::any_io_executor> strand;
  redis_client_options options;
  std::unique_ptr<net::tls_context> tls;  // rediss:// only; throws at start for an unusable CA or client key
  std::vector<handshake_step> steps;

  mutable std::mutex mutex;  // guards queue, stopped, refusal, and every pending::outcome
  std::deque<std::shared_ptr<pending>> queue;
  bool stopped = false;
  std::optional<error_info> refusal;

  // Touched on the strand only.
  asio::steady_timer signal;  // a condition variable: cancelled when commands arrive or on stop
  asio::steady_timer pause;   // reconnect backoff: cancelled on stop only
  std::optional<socket_type> socket;                   // redis:// and unix://
  std::optional<asio::ssl::stream<socket_type>> tls_stream;  // rediss://
  bool verified = false;  // the handshake of the open connection was accepted
  std::size_t next_sentinel = 0;             // the Sentinel asked first
  std::optional<sentinel_address> last_master;
  bool master_changed = false;               // the last connect() found another master
  bool switch_announced = false;             // +switch-master: drop the connection before the next batch
  std::optional<socket_type> watch_socket;   // the +switch-master subscription
  asio::steady_timer watch_pause{strand};    // its reconnect backoff: cancelled on stop only

  bool is_open() const { return socket.has_value() || tls_stream.has_value(); }

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

  /// Records a refusal and fails everything waiting with it (later commands fail at once).
  void refuse(const error_info& why, const std::vector<std::shared_ptr<pending>>& batch) {
    std::deque<std::shared_ptr<pending>> waiting;
    {
      std::lock_guard lock(mutex);
      refusal = why;
      waiting.swap(queue);
    }
    for (const auto& p : batch) deliver(p, why);
    for (const auto& p : waiting) deliver(p, why);
  }

  void accept() {
    std::lock_guard lock(mutex);
    refusal.reset();
  }

  void close() {
    std::error_code ignored;
    if (socket) socket->close(ignored);
    // No close_notify: the connection is dropped after an error or on stop, never reused.
    if (tls_stream) tls_stream->lowest_layer().close(ignored);
    socket.reset();
    tls_stream.reset();
    verified = false;
  }

  /// Resolves `host` (the endpoint's, a Sentinel's or the master's) within `timer`'s deadline.
  asio::awaitable<result<std::vector<asio::generic::stream_protocol::endpoint>>> addresses(
      const std::string& host, std::uint16_t port, asio::steady_timer& timer) {
    using namespace asio::experimental::awaitable_operators;
    std::vector<asio::generic::stream_protocol::endpoint> endpoints;
    if (options.endpoint.is_unix()) {
      endpoints.emplace_back(asio::local::stream_protocol::endpoint(options.endpoint.path));
      co_return endpoints;
    }
    std::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(asio::ip::tcp::endpoint(address, port));
      co_return endpoints;
    }
    asio::ip::tcp::resolver resolver(strand);
    auto outcome = co_await (resolver.async_resolve(host, std::to_string(port), tuple_awaitable) ||
                             timer.async_wait(tuple_awaitable));
    if (outcome.index() == 1) co_return failed(errc::timeout, "resolving " + host + " timed out");
    auto [resolve_error, results] = std::get<0>(std::move(outcome));
    if (resolve_error) co_return failed(errc::resolve_failed, "cannot resolve " + host);
    for (const auto& entry : results) endpoints.emplace_back(entry.endpoint());
    co_return endpoints;
  }

  /// A TCP (or unix) connection to `host`:`port` within `timer`'s deadline.
  asio::awaitable<result<socket_type>> open(const std::string& host, std::uint16_t port, asio::steady_timer& timer) {
    using namespace asio::experimental::awaitable_operators;
    auto endpoints = co_await addresses(host, port, timer);
    if (!endpoints) co_return std::move(endpoints).error();
    for (const auto& endpoint : *endpoints) {
      socket_type s(strand);
      auto outcome = co_await (s.async_connect(endpoint, tuple_awaitable) || timer.async_wait(tuple_awaitable));
      if (outcome.index() == 1) co_return failed(errc::timeout, "connect timed out");
      if (auto [ec] = std::get<0>(outcome); ec) continue;
      if (!options.endpoint.is_unix()) {
        std::error_code ignored;
        s.set_option(asio::ip::tcp::no_delay(true), ignored);
      }
      co_return std::move(s);
    }
    co_return failed(errc::connect_failed, "connection to " + host + ":" + std::to_string(port) + " refused or unreachable");
  }

  /// Asks the Sentinels in turn (the last one that answered first) for the master's
  /// address; each gets at most reply_timeout of `timer`'s time.
  asio::awaitable<result<sentinel_address>> ask_sentinels(asio::steady_timer& overall) {
    const auto& ep = options.endpoint;
    const std::string question = format_redis_command({"SENTINEL", "get-master-addr-by-name", ep.master_name});
    for (std::size_t i = 0; i < ep.sentinels.size(); ++i) {
      const std::size_t index = (next_sentinel + i) % ep.sentinels.size();
      const auto& sentinel = ep.sentinels[index];
      asio::steady_timer timer(strand, std::min(overall.expiry(), clock::now() + options.reply_timeout));
      auto s = co_await open(sentinel.host, sentinel.port, timer);
      if (!s) continue;
      reply_reader reader;
      std::vector<redis_reply> replies;
      if (co_await round_trip_on(*s, question, 1, timer.expiry(), reader, replies)) continue;
      if (auto master = master_from_sentinel(replies.front())) {
        next_sentinel = index;
        co_return *master;
      }
    }
    co_return failed(errc::connect_failed, "no Sentinel named the master '" + ep.master_name + "'");
  }

  error_info failed(errc code, std::string what) const {
    return error_info{.code = make_error_code(code), .message = "Redis at " + options.endpoint.to_string() + ": " + std::move(what)};
  }

  /// Connects (behind Sentinel: to the master it names; TCP or unix, then TLS for
  /// rediss://) within connect_timeout; the handshake comes after, with the first
  /// commands. nullopt on success.
  asio::awaitable<std::optional<error_info>> connect() {
    asio::steady_timer timer(strand, clock::now() + options.connect_timeout);
    std::string host = options.endpoint.host;
    std::uint16_t port = options.endpoint.port;
    if (options.endpoint.is_sentinel()) {
      auto master = co_await ask_sentinels(timer);
      if (!master) co_return std::move(master).error();
      master_changed = last_master && *last_master != *master;
      last_master = *master;
      host = master->host;
      port = master->port;
    }
    auto connected = co_await open(host, port, timer);
    if (!connected) co_return std::move(connected).error();
    if (!tls) {
      socket.emplace(std::move(*connected));
      co_return std::nullopt;
    }
    co_return co_await start_tls(std::move(*connected), host, timer);
  }

  /// The TLS handshake on `s`: SNI and the host check name the endpoint's host.
  asio::awaitable<std::optional<error_info>> start_tls(socket_type s, std::string host, asio::steady_timer& timer) {
    using namespace asio::experimental::awaitable_operators;
    asio::ssl::stream<socket_type> stream(std::move(s), tls->native());
    std::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    if (auto ec = tls->prepare(stream.native_handle(), host, !not_ip)) co_return failed(errc{ec.value()}, "cannot set up TLS for this host");
    auto shaken = co_await (stream.async_handshake(asio::ssl::stream_base::client, tuple_awaitable) ||
                            timer.async_wait(tuple_awaitable));
    if (shaken.index() == 1) co_return failed(errc::timeout, "TLS handshake timed out");
    if (auto [ec] = std::get<0>(shaken); ec) {
      const errc code = net::tls_context::classify_handshake_failure(stream.native_handle(), ec);
      const long verify = SSL_get_verify_result(stream.native_handle());
      std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message();
      co_return failed(code, "TLS handshake failed (" + std::move(why) + ")");
    }
    tls_stream.emplace(std::move(stream));
    co_return std::nullopt;
  }

  /// Writes `commands` (already formatted, `count` of them) and reads `count` replies.
  asio::awaitable<std::error_code> round_trip(const std::string& commands, std::size_t count,
                                              clock::time_point deadline, reply_reader& reader,
                                              std::vector<redis_reply>& replies) {
    if (tls_stream) co_return co_await round_trip_on(*tls_stream, commands, count, deadline, reader, replies);
    co_return co_await round_trip_on(*socket, commands, count, deadline, reader, replies);
  }

  template <class Stream>
  asio::awaitable<std::error_code> round_trip_on(Stream& stream, const std::string& commands, std::size_t count,
                                                 clock::time_point deadline, reply_reader& reader,
                                                 std::vector<redis_reply>& replies) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(strand, deadline);
    auto written = co_await (asio::async_write(stream, asio::buffer(commands), tuple_awaitable) ||
                             timer.async_wait(tuple_awaitable));
    if (written.index() == 1) co_return make_error_code(errc::timeout);
    if (auto [ec, n] = std::get<0>(written); ec) co_return closed_by(ec);
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
      auto got = co_await (stream.async_read_some(asio::buffer(buffer), tuple_awaitable) ||
                           timer.async_wait(tuple_awaitable));
      if (got.index() == 1) co_return make_error_code(errc::timeout);
      auto [ec, n] = std::get<0>(got);
      if (ec) co_return closed_by(ec);
      if (!reader.feed(buffer.data(), n)) co_return make_error_code(errc::protocol_error);
    }
    if (tls_stream) tls->remember_session(tls_stream->native_handle());
    co_return std::error_code{};
  }

  /// Reads the +switch-master subscription until it breaks or goes silent: idle for
  /// 2 s, it is pinged; silent for 2 s more, it is given up (and made again).
  asio::awaitable<void> watch(reply_reader& reader) {
    using namespace asio::experimental::awaitable_operators;
    const std::string ping = format_redis_command({"PING"});
    std::array<char, 4096> buffer;
    bool pinged = false;
    while (watch_socket) {
      bool ok = true;
      while (auto message = reader.next(ok)) {
        if (is_switch_of(*message, options.endpoint.master_name)) {
          switch_announced = true;
          signal.cancel();
        }
      }
      if (!ok) co_return;
      asio::steady_timer idle(strand, clock::now() + std::chrono::seconds(2));
      auto got = co_await (watch_socket->async_read_some(asio::buffer(buffer), tuple_awaitable) ||
                           idle.async_wait(tuple_awaitable));
      if (got.index() == 1) {
        if (std::exchange(pinged, true)) co_return;
        auto [ec, n] = co_await asio::async_write(*watch_socket, asio::buffer(ping), tuple_awaitable);
        if (ec) co_return;
        continue;
      }
      auto [ec, n] = std::get<0>(got);
      if (ec || !reader.feed(buffer.data(), n)) co_return;
      pinged = false;
    }
  }

  /// With TLS 1.3 a refused client certificate arrives as an alert on the first read.
  std::error_code closed_by(const std::error_code& ec) const {
    if (tls_stream && net::tls_context::is_client_certificate_alert(ec)) return make_error_code(errc::client_certificate_rejected);
    return make_error_code(errc::connection_closed);
  }

  /// The handshake (AUTH, SELECT), in one write with `batch`'s commands. nullopt when
  /// accepted (the batch's replies are then in `replies`, the handshake's removed).
  asio::awaitable<std::optional<error_info>> verify(const std::vector<std::shared_ptr<pending>>& batch, reply_reader& reader,
                                                    std::vector<redis_reply>& replies) {
    std::string commands = format_handshake(options.endpoint, steps);
    for (const auto& p : batch) commands += p->command;
    const auto ec = co_await round_trip(commands, steps.size() + batch.size(), clock::now() + options.reply_timeout, reader, replies);
    OPENSSL_cleanse(commands.data(), commands.size());  // it held the password
    if (ec == errc::client_certificate_rejected) co_return failed(errc::client_certificate_rejected, "the server refused the client certificate");
    if (ec) co_return error_info{.code = ec, .message = "Redis at " + options.endpoint.to_string() + ": " + ec.message()};
    for (std::size_t i = 0; i < steps.size(); ++i)
      if (auto refusal = handshake_refusal(steps[i], replies[i], options.endpoint)) co_return refusal;
    replies.erase(replies.begin(), replies.begin() + static_cast<std::ptrdiff_t>(steps.size()));
    co_return std::nullopt;
  }
};

redis_client::redis_client(asio::any_io_executor executor, redis_client_options options)
    : state_(std::make_unique<state>(std::move(executor), std::move(options))) {}

redis_client::~redis_client() = default;

std::shared_ptr<redis_client> redis_client::start(asio::any_io_executor executor, redis_client_options options) {
  std::shared_ptr<redis_client> client(new redis_client(std::move(executor), std::move(options)));
  asio::co_spawn(client->state_->strand, run(client), asio::detached);
  if (client->state_->options.endpoint.is_sentinel())
    asio::co_spawn(client->state_->strand, watch_sentinels(client), asio::detached);
  return client;
}

asio::awaitable<void> redis_client::run(std::shared_ptr<redis_client> self) {
  state& s = *self->state_;
  auto backoff = s.options.reconnect_min;
  std::optional<reply_reader> reader;
  // After a failed or refused connection: full jitter over [backoff/2, backoff], so that
  // many clients do not reconnect in step.
  auto pause_after_failure = [&]() -> asio::awaitable<void> {
    self->failures_.fetch_add(1, std::memory_order_relaxed);
    self->unreachable_.store(true, std::memory_order_release);
    const std::chrono::milliseconds half(std::max<std::int64_t>(backoff.count() / 2, 1));
    const auto wait = half + retry::full_jitter(half, retry::jitter_bits());
    backoff = std::min(backoff * 2, s.options.reconnect_max);
    s.pause.expires_after(wait);
    co_await s.pause.async_wait(tuple_awaitable);
  };
  auto fail_batch = [&](const std::vector<std::shared_ptr<pending>>& batch, const error_info& why) {
    if (is_refusal(why.code)) {
      self->refusals_.fetch_add(1, std::memory_order_relaxed);
      s.refuse(why, batch);
    } else {
      for (const auto& p : batch) s.deliver(p, why);
    }
  };
  try {
    while (!s.is_stopped()) {
      if (std::exchange(s.switch_announced, false) && s.is_open()) {
        // Between two batches, never under one: what is in flight finishes where it went.
        s.close();
        self->connected_.store(false, std::memory_order_release);
      }
      if (!s.is_open()) {
        reader.emplace();
        if (auto failure = co_await s.connect()) {
          fail_batch({}, *failure);
          co_await pause_after_failure();
          continue;
        }
      }

      auto batch = s.take_batch();
      std::vector<redis_reply> replies;
      replies.reserve(batch.size() + s.steps.size());
      if (!s.verified) {
        // The handshake goes with the waiting commands, or alone when nothing waits, so
        // that a refusal is known before the first command.
        if (!s.steps.empty()) {
          self->commands_.fetch_add(batch.size() + s.steps.size(), std::memory_order_relaxed);
          self->round_trips_.fetch_add(1, std::memory_order_relaxed);
          if (auto failure = co_await s.verify(batch, *reader, replies)) {
            s.close();
            fail_batch(batch, *failure);
            co_await pause_after_failure();
            continue;
          }
        }
        s.verified = true;
        s.accept();
        if (std::exchange(s.master_changed, false)) self->master_changes_.fetch_add(1, std::memory_order_relaxed);
        backoff = s.options.reconnect_min;
        self->connects_.fetch_add(1, std::memory_order_relaxed);
        self->connected_.store(true, std::memory_order_release);
        self->unreachable_.store(false, std::memory_order_release);
        if (!s.steps.empty()) {
          for (std::size_t i = 0; i < batch.size(); ++i) s.deliver(batch[i], std::move(replies[i]));
          continue;
        }
      }
      if (batch.empty()) {
        s.signal.expires_at(clock::time_point::max());
        co_await s.signal.async_wait(tuple_awaitable);
        continue;
      }
      std::string commands;
      for (const auto& p : batch) commands += p->command;
      self->commands_.fetch_add(batch.size(), std::memory_order_relaxed);
      self->round_trips_.fetch_add(1, std::memory_order_relaxed);
      const auto ec = co_await s.round_trip(commands, batch.size(), clock::now() + s.options.reply_timeout, *reader, replies);
      if (ec || std::any_of(replies.begin(), replies.end(), is_not_master)) {
        // The commands may or may not have run, or the node is a replica now (a
        // failover): the connection is not reused, the next one asks Sentinel again.
        s.close();
        self->connected_.store(false, std::memory_order_release);
        self->unreachable_.store(true, std::memory_order_release);
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

asio::awaitable<void> redis_client::watch_sentinels(std::shared_ptr<redis_client> self) {
  using namespace asio::experimental::awaitable_operators;
  state& s = *self->state_;
  const auto& ep = s.options.endpoint;
  const std::string subscribe = format_redis_command({"SUBSCRIBE", "+switch-master"});
  bool resubscribed = false;
  std::size_t next = 0;
  try {
    while (!s.is_stopped()) {
      const auto& sentinel = ep.sentinels[next++ % ep.sentinels.size()];
      asio::steady_timer timer(s.strand, clock::now() + s.options.connect_timeout);
      auto socket = co_await s.open(sentinel.host, sentinel.port, timer);
      reply_reader reader;
      std::vector<redis_reply> replies;
      if (socket && !s.is_stopped()) {
        s.watch_socket.emplace(std::move(*socket));
        if (!co_await s.round_trip_on(*s.watch_socket, subscribe, 1, clock::now() + s.options.reply_timeout, reader, replies)) {
          // A switch may have been missed while no subscription was open.
          if (std::exchange(resubscribed, true)) s.switch_announced = true;
          co_await s.watch(reader);
        }
        std::error_code ignored;
        s.watch_socket->close(ignored);
        s.watch_socket.reset();
      }
      if (s.is_stopped()) break;
      s.watch_pause.expires_after(s.options.reconnect_max);
      co_await s.watch_pause.async_wait(tuple_awaitable);
    }
  } catch (const std::exception&) {  // allocation failure: the data connection still sees READONLY
  }
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
    if (state_->refusal) co_return *state_->refusal;
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
          .failures = failures_.load(std::memory_order_relaxed),
          .refusals = refusals_.load(std::memory_order_relaxed),
          .master_changes = master_changes_.load(std::memory_order_relaxed)};
}

std::optional<error_info> redis_client::refusal() const {
  std::lock_guard lock(state_->mutex);
  return state_->refusal;
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
    std::error_code ignored;
    if (self->state_->socket) self->state_->socket->close(ignored);
    if (self->state_->tls_stream) self->state_->tls_stream->lowest_layer().close(ignored);
    if (self->state_->watch_socket) self->state_->watch_socket->close(ignored);
    self->state_->watch_pause.cancel();
  });
}

}  // namespace codex::limit
