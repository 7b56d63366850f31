#include "emulator/https_server.hpp"

#include "emulator/faults.hpp"
#include "emulator/request_clock.hpp"

#include <codex/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace codex::emulator {
namespace {

using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// I/O errors come back as values: a client misbehaving is normal, not exceptional.
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// A response write may legitimately take longer than an idle period (a large body to
// a slow reader), but never forever.
constexpr std::chrono::milliseconds min_write_timeout = 10s;
// After our FIN we read until the client's, so that unread request bytes do not make
// the kernel answer with an RST that would destroy the response in flight.
constexpr std::chrono::milliseconds linger_timeout = 2s;
// How often the watchdog looks again while no deadline is set (handler, delay, stall).
constexpr std::chrono::milliseconds min_watchdog_poll = 50ms;
// Bodies up to this size are copied behind the head so the response is one TLS write.
constexpr std::size_t inline_body_limit = 16u << 10;
// Past this, the output buffer is released after use rather than kept for the next request.
constexpr std::size_t retained_output_limit = 1u << 20;
// Room for one TLS record beyond the largest header, which must fit in one piece.
constexpr std::size_t read_slack = 16u << 10;

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

/// The contract's error body: {"status":N,"error":"code","message":"..."}. The
/// messages are ours (no caller data), so they need no escaping.
std::string error_body(int status, std::string_view code, std::string_view message) {
  std::string body = "{\"status\":" + std::to_string(status) + ",\"error\":\"";
  body += code;
  body += "\",\"message\":\"";
  body += message;
  body += "\"}";
  return body;
}

response_plan error_plan(int status, std::string_view code, std::string_view message) {
  response_plan plan;
  plan.status = status;
  plan.headers.add("Content-Type", "application/json");
  plan.body = error_body(status, code, message);
  plan.close = true;
  return plan;
}

/// Why a new connection is turned away at once, if it is.
enum class admission { admit, server_full, address_full };

admission admission_for(std::size_t open, std::size_t open_from_address, const server_options& options) {
  if (open >= options.max_connections) return admission::server_full;
  if (open_from_address >= options.max_connections_per_address) return admission::address_full;
  return admission::admit;
}

/// Mutual TLS: trust `ca_pem` for client certificates, name its CAs in the
/// CertificateRequest, and refuse a handshake without a certificate that verifies.
void require_client_certificates(asio::ssl::context& context, const std::string& ca_pem) {
  context.add_certificate_authority(asio::buffer(ca_pem));  // throws std::system_error if not PEM
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())), BIO_free);
  if (!bio) throw std::runtime_error("https_server: cannot read the client CA");
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add_client_CA(context.native_handle(), ca);  // copies the name
    X509_free(ca);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  context.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
}

asio::ssl::context make_tls_context(const tls_identity& identity) {
  asio::ssl::context context{asio::ssl::context::tls_server};
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("https_server: cannot require TLS 1.2");
  }
  context.use_certificate_chain(asio::buffer(identity.certificate_chain_pem));
  context.use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
  // TLS 1.2 session-id resumption needs a context id; TLS 1.3 tickets work without.
  // (With client certificates it is required: OpenSSL refuses to resume otherwise.)
  static constexpr unsigned char session_context[] = "codex-emulator";
  SSL_CTX_set_session_id_context(context.native_handle(), session_context, sizeof session_context - 1);
  if (!identity.client_ca_pem.empty()) require_client_certificates(context, identity.client_ca_pem);
  return context;
}

tcp::endpoint resolve_listen_endpoint(const std::string& host, std::uint16_t port) {
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  asio::io_context resolver_context;
  tcp::resolver resolver{resolver_context};
  const auto results = resolver.resolve(host, std::to_string(port));  // throws std::system_error
  return results.begin()->endpoint();
}

}  // namespace

struct https_server::impl {
  class connection;

  impl(server_options options, tls_identity identity, request_handler handler);

  void start();
  void stop();
  server_stats stats() const;

  asio::awaitable<void> accept_loop();
  void admit(tcp::socket socket);
  void unregister(std::uint64_t connection_id, const std::string& remote_address);
  /// "req_" + a per-server random prefix + a counter: unique and cheap.
  std::string next_request_id();
  bool on_server_thread() const;

  const server_options options_;
  const request_handler handler_;
  asio::ssl::context tls_;  // before io_: outlives every stream
  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  std::atomic<std::uint16_t> port_{0};

  std::mutex lifecycle_mutex_;
  enum class phase { created, running, stopped } phase_ = phase::created;
  std::vector<std::thread> threads_;

  // Live connections, so that stop() can drain and then close them. After io_: a
  // connection's socket must be destroyed before the io_context.
  mutable std::mutex registry_mutex_;
  std::condition_variable registry_empty_;
  std::unordered_map<std::uint64_t, std::shared_ptr<connection>> live_;
  // How many of live_ each remote address holds; an address leaves when it holds none.
  std::unordered_map<std::string, std::size_t> live_per_address_;
  bool stopping_ = false;

  std::atomic<std::uint64_t> accepts_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> handshake_failures_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  std::atomic<std::uint64_t> too_large_{0};
  std::atomic<std::uint64_t> head_too_large_{0};
  std::atomic<std::uint64_t> head_timeouts_{0};
  std::atomic<std::uint64_t> body_timeouts_{0};
  std::atomic<std::uint64_t> refused_full_{0};
  std::atomic<std::uint64_t> refused_per_address_{0};
  std::atomic<std::uint64_t> next_connection_id_{0};
  std::atomic<std::uint64_t> next_request_number_{0};
  std::uint32_t request_id_prefix_;
};

/// One accepted connection. Everything here runs on the connection's strand: the
/// request loop and its watchdog are two coroutines on that strand, and stop()
/// reaches in only by posting to it.
class https_server::impl::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(impl& server, tcp::socket socket, request_context context)
      : server_(server),
        stream_(std::move(socket), server.tls_),
        watchdog_(stream_.get_executor()),
        delay_timer_(stream_.get_executor()),
        in_capacity_(server.options_.limits.max_header + read_slack),
        in_(new char[in_capacity_]),
        context_(std::move(context)),
        step_generation_(server.options_.step_faults ? server.options_.step_faults->generation() : 0) {}

  asio::any_io_executor executor() { return stream_.get_executor(); }
  std::uint64_t id() const noexcept { return context_.connection_id; }

  /// The whole life of the connection: handshake, requests, close, unregister.
  static asio::awaitable<void> run(std::shared_ptr<connection> self);
  /// stop() began: close now if nothing is in flight, else after the current response.
  void begin_drain();
  /// Closes the socket and ends every wait at once.
  void force_close();

 private:
  // `reading`: waiting for bytes of a request (the first one, or more of it).
  enum class phase { handshake, reading, busy, stalled, closing };
  enum class read_outcome { ready, closed, malformed, body_too_large, head_too_large, timed_out };

  asio::awaitable<bool> handshake();
  asio::awaitable<void> serve();
  asio::awaitable<read_outcome> read_request(net::codec::request_reader& reader, request_clock& timing);
  /// The error response to a request that cannot be served, counted in the stats.
  response_plan refusal(read_outcome outcome, request_stage stage);
  response_plan call_handler(net::codec::server_request& request);
  asio::awaitable<bool> respond(response_plan& plan, bool head_request, bool keep_alive_requested);
  asio::awaitable<void> write_cut(std::size_t limit, bool reset);
  asio::awaitable<void> stall();
  /// Counts one step with the server's step knob (if any) and says what to do with it.
  step_action count_step(step_kind kind);
  /// Performs a failed step: for truncate, the first half of `unsent` goes out first.
  asio::awaitable<void> fail_step(step_action action, std::string_view unsent = {});
  /// A failed step's stall: nothing is read or written at the TLS layer again; the
  /// client's bytes are drained raw (unread ones would turn our eventual close into
  /// an RST) until it leaves or stop() closes the socket.
  asio::awaitable<void> hold();
  asio::awaitable<void> close_gracefully();
  asio::awaitable<void> close_with_fin();
  /// Ends the wait for the next request so that the request loop closes gracefully.
  void wind_down();
  void close_with_reset();

  static asio::awaitable<void> watch(std::shared_ptr<connection> self);
  void set_deadline(clock::time_point deadline);
  void clear_deadline() noexcept { timed_ = false; }

  impl& server_;
  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer watchdog_;
  asio::steady_timer delay_timer_;

  // The watchdog closes the socket once `deadline_` passes while `timed_`.
  clock::time_point deadline_{};
  clock::time_point armed_at_ = clock::time_point::max();
  bool timed_ = false;
  bool read_expired_ = false;  // the watchdog ended a read at its deadline (not stop())

  phase phase_ = phase::handshake;
  bool draining_ = false;
  bool winding_down_ = false;  // idle timeout or stop(): close with close_notify, not abruptly
  bool closed_ = false;

  // Bytes read but not yet parsed live in in_[in_begin_, in_end_): the tail of one
  // request may be the start of the next.
  std::size_t in_capacity_;
  std::unique_ptr<char[]> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;

  request_context context_;
  std::uint64_t step_generation_;  // the step knob's generation when accepted
};

// ---- connection ------------------------------------------------------------------

asio::awaitable<void> https_server::impl::connection::run(std::shared_ptr<connection> self) {
  try {
    if (co_await self->handshake()) co_await self->serve();
  } catch (const std::exception&) {
    // Only allocation failures can get here; the connection ends, the server lives on.
  }
  self->force_close();
  self->server_.unregister(self->context_.connection_id, self->context_.remote_address);
}

void https_server::impl::connection::begin_drain() {
  draining_ = true;
  // Nothing in flight: no one is owed a response. A client we are reading from gets a
  // clean TLS close; a half-done handshake or a stall gets nothing.
  if (phase_ == phase::reading) {
    wind_down();
  } else if (phase_ == phase::handshake || phase_ == phase::stalled) {
    force_close();
  }
}

void https_server::impl::connection::wind_down() {
  if (winding_down_ || closed_) return;
  winding_down_ = true;
  clear_deadline();
  std::error_code ignored;
  stream_.lowest_layer().cancel(ignored);
}

void https_server::impl::connection::force_close() {
  if (closed_) return;
  closed_ = true;
  watchdog_.cancel();
  delay_timer_.cancel();
  std::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

void https_server::impl::connection::set_deadline(clock::time_point deadline) {
  timed_ = true;
  deadline_ = deadline;
  // The watchdog sleeps until armed_at_; wake it when the new deadline comes first.
  if (deadline < armed_at_) watchdog_.cancel();
}

asio::awaitable<void> https_server::impl::connection::watch(std::shared_ptr<connection> self) {
  const auto poll = std::max(self->server_.options_.idle_timeout, min_watchdog_poll);
  while (!self->closed_) {
    const auto now = clock::now();
    if (self->timed_ && now >= self->deadline_) {
      // A read that overran its deadline is ended, and the request loop finishes
      // politely: an idle keep-alive connection gets a clean close (the client may be
      // about to reuse it), a request half received its 408. Anything else that
      // overran its deadline is cut off.
      if (self->phase_ == phase::reading && !self->winding_down_) {
        self->read_expired_ = true;
        self->wind_down();
        continue;
      }
      self->force_close();
      co_return;
    }
    // Deadlines are only ever pushed later on the hot path, so most wake-ups re-arm
    // once per idle period rather than once per request.
    self->armed_at_ = self->timed_ ? self->deadline_ : now + poll;
    self->watchdog_.expires_at(self->armed_at_);
    co_await self->watchdog_.async_wait(use_tuple);
  }
}

asio::awaitable<bool> https_server::impl::connection::handshake() {
  set_deadline(clock::now() + server_.options_.handshake_timeout);
  asio::co_spawn(executor(), watch(shared_from_this()), asio::detached);
  // Counted here rather than in the accept loop: failing a step needs this
  // connection's watchdog and strand.
  for (const step_kind kind : {step_kind::accept, step_kind::handshake}) {
    if (const step_action action = count_step(kind); action != step_action::none) {
      co_await fail_step(action);
      co_return false;
    }
  }
  auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
  if (ec) {
    if (!draining_) server_.handshake_failures_.fetch_add(1, std::memory_order_relaxed);
    co_return false;
  }
  co_return !closed_;
}

asio::awaitable<void> https_server::impl::connection::serve() {
  while (!closed_) {
    net::codec::request_reader reader{server_.options_.limits};
    request_clock timing;
    const read_outcome outcome = co_await read_request(reader, timing);
    if (outcome == read_outcome::closed) co_return;
    phase_ = phase::busy;
    clear_deadline();
    if (outcome != read_outcome::ready) {
      auto plan = refusal(outcome, timing.stage());
      co_await respond(plan, false, false);
      co_return;
    }
    net::codec::server_request request = reader.release();
    server_.requests_.fetch_add(1, std::memory_order_relaxed);
    ++context_.request_on_connection;
    response_plan plan = call_handler(request);
    if (!co_await respond(plan, request.method == net::http_method::head, request.keep_alive)) co_return;
  }
}

response_plan https_server::impl::connection::refusal(read_outcome outcome, request_stage stage) {
  auto count = [](std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); };
  switch (outcome) {
    case read_outcome::body_too_large:
      count(server_.too_large_);
      return error_plan(413, "payload_too_large", "The request body exceeds the server's limit.");
    case read_outcome::head_too_large:
      count(server_.head_too_large_);
      return error_plan(431, "request_header_fields_too_large",
                        "The request line and headers exceed the server's limit.");
    case read_outcome::timed_out:
      count(stage == request_stage::body ? server_.body_timeouts_ : server_.head_timeouts_);
      return error_plan(408, "request_timeout", "The request was not received in time.");
    case read_outcome::malformed:
    case read_outcome::ready:   // never refused: serve() does not ask
    case read_outcome::closed:  // no one to answer
      break;
  }
  count(server_.bad_requests_);
  return error_plan(400, "bad_request", "The request is not valid HTTP/1.1.");
}

asio::awaitable<https_server::impl::connection::read_outcome>
https_server::impl::connection::read_request(net::codec::request_reader& reader, request_clock& timing) {
  const request_time_limits limits{.idle = server_.options_.idle_timeout,
                                   .head = server_.options_.head_timeout,
                                   .body = server_.options_.body_timeout};
  // Bytes left over from the previous request: its response has just ended.
  if (in_end_ > in_begin_) timing.bytes_arrived(clock::now());
  bool continue_sent = false;
  for (;;) {
    if (in_end_ > in_begin_) {
      std::error_code ec;
      const std::size_t used = reader.put({in_.get() + in_begin_, in_end_ - in_begin_}, ec);
      in_begin_ += used;
      if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
      if (ec == errc::payload_too_large) {
        co_return reader.head_too_large() ? read_outcome::head_too_large : read_outcome::body_too_large;
      }
      if (ec) co_return read_outcome::malformed;
      if (reader.done()) co_return read_outcome::ready;
      if (reader.header_done() && timing.stage() == request_stage::head) timing.body_expected(clock::now());
      if (!continue_sent && reader.header_done() && reader.expects_continue()) {
        continue_sent = true;
        phase_ = phase::busy;  // a write: the watchdog must not take it for a read
        set_deadline(clock::now() + std::max(server_.options_.idle_timeout, min_write_timeout));
        if (const step_action action = count_step(step_kind::write); action != step_action::none) {
          co_await fail_step(action, continue_response);
          co_return read_outcome::closed;
        }
        auto [write_ec, n] = co_await asio::async_write(stream_, asio::buffer(continue_response), use_tuple);
        if (write_ec || closed_) co_return read_outcome::closed;
        timing.body_expected(clock::now());
      }
      if (used > 0 && in_end_ > in_begin_) continue;
    }
    // The parser needs more: keep the unparsed bytes (a partial header must stay
    // contiguous) at the front and read behind them.
    if (in_begin_ > 0) {
      std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    // The header limit is below the capacity, so a full buffer means a broken parser
    // state rather than a legitimate request: refuse it.
    if (in_end_ == in_capacity_) co_return read_outcome::malformed;
    phase_ = phase::reading;
    if (draining_) {
      co_await close_gracefully();
      co_return read_outcome::closed;
    }
    if (const step_action action = count_step(step_kind::read); action != step_action::none) {
      co_await fail_step(action);
      co_return read_outcome::closed;
    }
    set_deadline(timing.deadline(clock::now(), limits));
    auto [ec, n] = co_await stream_.async_read_some(
        asio::buffer(in_.get() + in_end_, in_capacity_ - in_end_), use_tuple);
    // At the deadline the wait is over, even if bytes came in at that same moment: a
    // request half received is owed its 408, an idle connection a polite close.
    if (read_expired_) {
      if (timing.stage() != request_stage::awaiting) co_return read_outcome::timed_out;
      co_await close_gracefully();
      co_return read_outcome::closed;
    }
    if (ec) {
      // stop(): say goodbye properly. End of stream or reset: the client is gone and
      // owed nothing.
      if (winding_down_) co_await close_gracefully();
      co_return read_outcome::closed;
    }
    timing.bytes_arrived(clock::now());
    in_end_ += n;
  }
}

response_plan https_server::impl::connection::call_handler(net::codec::server_request& request) {
  try {
    return server_.handler_(request, context_);
  } catch (const std::exception&) {
    return error_plan(500, "internal", "The request handler failed.");
  }
}

asio::awaitable<bool> https_server::impl::connection::respond(response_plan& plan, bool head_request,
                                                              bool keep_alive_requested) {
  if (plan.delay > 0ms) {
    delay_timer_.expires_after(plan.delay);
    co_await delay_timer_.async_wait(use_tuple);
    if (closed_) co_return false;
  }
  if (plan.stall) {
    co_await stall();
    co_return false;
  }
  if (plan.reset && !plan.cut_after) {
    close_with_reset();
    co_return false;
  }

  const bool keep_alive = keep_alive_requested && !plan.close && !draining_;
  if (!plan.headers.contains("X-Request-Id")) plan.headers.add("X-Request-Id", server_.next_request_id());
  out_.clear();
  net::codec::write_response_head(plan.status, plan.headers, plan.body.size(), keep_alive, out_);
  // A HEAD response announces the length of the body it does not carry.
  const std::string_view body = head_request ? std::string_view{} : std::string_view{plan.body};
  set_deadline(clock::now() + std::max(server_.options_.idle_timeout, min_write_timeout));

  if (const step_action action = count_step(step_kind::write); action != step_action::none) {
    out_.append(body);
    co_await fail_step(action, out_);
    out_ = std::string{};
    co_return false;
  }
  if (plan.cut_after) {
    out_.append(body);
    co_await write_cut(*plan.cut_after, plan.reset);
    co_return false;
  }
  std::error_code ec;
  if (body.size() <= inline_body_limit) {
    out_.append(body);
    std::tie(ec, std::ignore) = co_await asio::async_write(stream_, asio::buffer(out_), use_tuple);
  } else {
    // Large bodies go out from the plan itself, not copied behind the head.
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(body)};
    std::tie(ec, std::ignore) = co_await asio::async_write(stream_, buffers, use_tuple);
  }
  if (out_.capacity() > retained_output_limit) out_ = std::string{};
  if (ec || closed_) co_return false;
  if (!keep_alive) {
    co_await close_gracefully();
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> https_server::impl::connection::write_cut(std::size_t limit, bool reset) {
  const std::size_t size = std::min(limit, out_.size());
  if (size > 0) co_await asio::async_write(stream_, asio::buffer(out_.data(), size), use_tuple);
  out_ = std::string{};
  // A cut is abrupt by design: no close_notify, as when a proxy or server dies.
  if (reset) {
    close_with_reset();
  } else {
    co_await close_with_fin();
  }
}

asio::awaitable<void> https_server::impl::connection::stall() {
  phase_ = phase::stalled;
  clear_deadline();
  if (draining_) co_return;
  // Read and drop whatever arrives: the wait ends when the client leaves (an error
  // or end of stream) or when stop() closes the socket.
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(in_.get(), in_capacity_), use_tuple);
    if (ec) co_return;
  }
}

step_action https_server::impl::connection::count_step(step_kind kind) {
  const auto& knob = server_.options_.step_faults;
  return knob ? knob->on_step(step_generation_, kind) : step_action::none;
}

asio::awaitable<void> https_server::impl::connection::fail_step(step_action action, std::string_view unsent) {
  switch (action) {
    case step_action::reset:
      close_with_reset();
      co_return;
    case step_action::stall:
      co_await hold();
      co_return;
    case step_action::truncate:
      if (unsent.size() > 1) co_await asio::async_write(stream_, asio::buffer(unsent.data(), unsent.size() / 2), use_tuple);
      break;
    case step_action::close:
    case step_action::none:
      break;
  }
  co_await close_with_fin();
}

asio::awaitable<void> https_server::impl::connection::hold() {
  phase_ = phase::stalled;
  clear_deadline();
  if (draining_) co_return;
  auto& socket = stream_.next_layer();
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(in_.get(), in_capacity_), use_tuple);
    if (ec) co_return;
  }
}

asio::awaitable<void> https_server::impl::connection::close_gracefully() {
  if (closed_) co_return;
  phase_ = phase::closing;
  set_deadline(clock::now() + linger_timeout);
  // Sends close_notify, then waits for the client's close_notify or end of stream.
  // OpenSSL discards application data that arrives after our close_notify, so this
  // also drains unread request bytes — which would otherwise make the kernel answer
  // our close with an RST that can destroy the response before the client reads it.
  co_await stream_.async_shutdown(use_tuple);
  force_close();
}

asio::awaitable<void> https_server::impl::connection::close_with_fin() {
  if (closed_) co_return;
  phase_ = phase::closing;
  set_deadline(clock::now() + linger_timeout);
  auto& socket = stream_.next_layer();
  std::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  // Raw TCP from here on: what the client still sends is dropped without decrypting.
  while (!ec) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await socket.async_read_some(asio::buffer(in_.get(), in_capacity_), use_tuple);
  }
  force_close();
}

void https_server::impl::connection::close_with_reset() {
  if (closed_) return;
  std::error_code ignored;
  // SO_LINGER {on, 0}: close() sends an RST, which the peer sees as a reset.
  stream_.lowest_layer().set_option(asio::socket_base::linger(true, 0), ignored);
  force_close();
}

// ---- server ----------------------------------------------------------------------

https_server::impl::impl(server_options options, tls_identity identity, request_handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      tls_(make_tls_context(identity)),
      io_(static_cast<int>(std::max<std::size_t>(options_.threads, 1))),
      accept_strand_(asio::make_strand(io_)),
      acceptor_(accept_strand_),
      request_id_prefix_(std::random_device{}()) {
  if (!handler_) throw std::invalid_argument("https_server: a request handler is required");
}

void https_server::impl::start() {
  std::lock_guard lock{lifecycle_mutex_};
  if (phase_ != phase::created) throw std::logic_error("https_server: start() called twice or after stop()");
  const tcp::endpoint endpoint = resolve_listen_endpoint(options_.host, options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();

  asio::co_spawn(accept_strand_, accept_loop(), asio::detached);
  const std::size_t count = std::max<std::size_t>(options_.threads, 1);
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    threads_.emplace_back([this] {
      // Coroutines catch their own failures; this guards against the unforeseen,
      // because an exception escaping a thread would terminate the process.
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception&) {
        }
      }
    });
  }
  phase_ = phase::running;
}

asio::awaitable<void> https_server::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // Out of descriptors or similar: pause rather than spin on the same error.
      asio::steady_timer pause{accept_strand_, 10ms};
      co_await pause.async_wait(use_tuple);
      continue;
    }
    accepts_.fetch_add(1, std::memory_order_relaxed);
    admit(tcp::socket{std::move(socket)});
  }
}

void https_server::impl::admit(tcp::socket socket) {
  std::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // the client is already gone
  std::string address = remote.address().to_string();

  std::shared_ptr<connection> conn;
  {
    std::lock_guard lock{registry_mutex_};
    // Registering under the same lock that stop() takes to set stopping_ means no
    // connection can slip between stop()'s snapshot and its drain.
    if (stopping_) return;  // closes the socket
    const auto held = live_per_address_.find(address);
    switch (admission_for(live_.size(), held == live_per_address_.end() ? 0 : held->second, options_)) {
      case admission::server_full:
        refused_full_.fetch_add(1, std::memory_order_relaxed);
        return;
      case admission::address_full:
        refused_per_address_.fetch_add(1, std::memory_order_relaxed);
        return;
      case admission::admit:
        break;
    }
    // Built only once admitted, so that a flood of refused connections costs no TLS state.
    socket.set_option(tcp::no_delay(true), ec);
    request_context context;
    context.connection_id = next_connection_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    context.remote_address = address;
    conn = std::make_shared<connection>(*this, std::move(socket), std::move(context));
    live_.emplace(conn->id(), conn);
    ++live_per_address_[std::move(address)];
  }
  asio::co_spawn(conn->executor(), connection::run(conn), asio::detached);
}

void https_server::impl::unregister(std::uint64_t connection_id, const std::string& remote_address) {
  std::lock_guard lock{registry_mutex_};
  if (live_.erase(connection_id) == 0) return;
  // Every admitted connection ends here exactly once (connection::run), so the count
  // cannot drift, whichever way the connection closed.
  const auto held = live_per_address_.find(remote_address);
  if (held != live_per_address_.end() && --held->second == 0) live_per_address_.erase(held);
  if (live_.empty()) registry_empty_.notify_all();
}

std::string https_server::impl::next_request_id() {
  const std::uint64_t number = next_request_number_.fetch_add(1, std::memory_order_relaxed) + 1;
  // "req_" + 8 hex digits of prefix + 12 of counter, zero-padded: fixed length, no allocation beyond the result.
  std::array<char, 4 + 8 + 12> text;
  std::fill(text.begin(), text.end(), '0');
  std::memcpy(text.data(), "req_", 4);
  auto put_hex = [&text](std::size_t end, std::uint64_t value, std::size_t digits) {
    for (std::size_t i = 0; i < digits; ++i, value >>= 4) text[end - 1 - i] = "0123456789abcdef"[value & 0xF];
  };
  put_hex(12, request_id_prefix_, 8);
  put_hex(24, number, 12);
  return std::string(text.data(), text.size());
}

bool https_server::impl::on_server_thread() const {
  const auto self = std::this_thread::get_id();
  return std::any_of(threads_.begin(), threads_.end(),
                     [self](const std::thread& thread) { return thread.get_id() == self; });
}

void https_server::impl::stop() {
  std::lock_guard lifecycle{lifecycle_mutex_};
  if (phase_ != phase::running) {
    phase_ = phase::stopped;
    return;
  }
  if (on_server_thread()) throw std::logic_error("https_server: stop() called from a server thread");
  phase_ = phase::stopped;

  asio::post(accept_strand_, [this] {
    std::error_code ignored;
    acceptor_.close(ignored);
  });
  auto for_each_live = [this](auto action) {
    std::vector<std::shared_ptr<connection>> snapshot;
    {
      std::lock_guard lock{registry_mutex_};
      stopping_ = true;
      snapshot.reserve(live_.size());
      for (const auto& [id, conn] : live_) snapshot.push_back(conn);
    }
    for (auto& conn : snapshot) asio::post(conn->executor(), [conn, action] { action(*conn); });
  };
  auto wait_until_empty = [this](std::chrono::milliseconds limit) {
    std::unique_lock lock{registry_mutex_};
    return registry_empty_.wait_for(lock, limit, [this] { return live_.empty(); });
  };

  for_each_live([](connection& conn) { conn.begin_drain(); });
  if (!wait_until_empty(options_.drain_timeout)) {
    for_each_live([](connection& conn) { conn.force_close(); });
    // Closed sockets end every wait at once; this only bounds a pathological case.
    wait_until_empty(1s);
  }
  io_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

server_stats https_server::impl::stats() const {
  std::size_t open = 0;
  {
    std::lock_guard lock{registry_mutex_};
    open = live_.size();
  }
  return server_stats{
      .accepts = accepts_.load(std::memory_order_relaxed),
      .requests = requests_.load(std::memory_order_relaxed),
      .handshake_failures = handshake_failures_.load(std::memory_order_relaxed),
      .bad_requests = bad_requests_.load(std::memory_order_relaxed),
      .too_large = too_large_.load(std::memory_order_relaxed),
      .head_too_large = head_too_large_.load(std::memory_order_relaxed),
      .head_timeouts = head_timeouts_.load(std::memory_order_relaxed),
      .body_timeouts = body_timeouts_.load(std::memory_order_relaxed),
      .refused_full = refused_full_.load(std::memory_order_relaxed),
      .refused_per_address = refused_per_address_.load(std::memory_order_relaxed),
      .open_connections = open,
  };
}

// ---- https_server ----------------------------------------------------------------

https_server::https_server(server_options options, tls_identity identity, request_handler handler)
    : impl_(std::make_unique<impl>(std::move(options), std::move(identity), std::move(handler))) {}

https_server::~https_server() {
  try {
    stop();
  } catch (const std::logic_error&) {
    // Destroyed from one of its own threads: nothing sane is left to do but leave.
  }
}

void https_server::start() { impl_->start(); }

std::uint16_t https_server::port() const { return impl_->port_.load(); }

void https_server::stop() { impl_->stop(); }

server_stats https_server::stats() const { return impl_->stats(); }

}  // namespace codex::emulator
