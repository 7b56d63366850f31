#include "net/connection.hpp"

#include "net/http_codec.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <array>

namespace codex::net {
namespace {

constexpr std::size_t initial_read_buffer = 16 * 1024;
/// A proxy's answer to CONNECT is a status line and a few headers.
constexpr std::size_t max_connect_response_header = 16 * 1024;

}  // namespace

connection::connection(asio::io_context::executor_type executor, tls_context& tls, const url& origin,
                       const proxy_route* proxy)
    : strand_(asio::make_strand(executor)),
      on_strand_(asio::bind_executor(strand_ref(strand_), asio::experimental::as_tuple(asio::use_awaitable))),
      tls_(tls),
      origin_(origin),
      proxy_(proxy),
      host_header_(origin.authority()),
      // The I/O objects keep the plain executor (its type-erased copies stay small);
      // what serialises them is that every completion is bound to the strand.
      resolver_(executor),
      stream_(executor, tls.native()),
      watchdog_(executor),
      read_buffer_(initial_read_buffer),
      created_at_(clock::now()),
      last_used_at_(created_at_) {}

connection::~connection() = default;

asio::awaitable<exchange_outcome> connection::exchange(const http_request* request, std::string_view preset_fields,
                                                       clock::time_point deadline, exchange_limits limits,
                                                       bool caller_cancellable) {
  // The pool hands the connection to calls on any thread: its I/O and its watchdog
  // run on its strand. A caller that can be cancelled and is not on it stays where it
  // is, and the exchange runs apart (exchange_apart). Decided here, in a plain
  // function, so that the exchange's own frame holds no second outcome.
  if (caller_cancellable && !strand_.running_in_this_thread())
    return exchange_apart(request, preset_fields, deadline, limits);
  return exchange_here(request, preset_fields, deadline, limits);
}

asio::awaitable<exchange_outcome> connection::exchange_here(const http_request* request, std::string_view preset_fields,
                                                            clock::time_point deadline, exchange_limits limits) {
  exchange_outcome outcome;
  // The transport checked this head (codec::check_request_head) before it took the
  // connection: a refused one never gets here.
  write_buffer_.clear();
  codec::append_request_head(*request, host_header_, preset_fields, write_buffer_);
  // Already on the strand (the caller's last exchange ended on it), there is nothing
  // to await (not even an operation's frame).
  if (!strand_.running_in_this_thread()) co_await asio::dispatch(asio::bind_executor(strand_, asio::use_awaitable));
  busy_ = true;
  timed_out_ = false;
  auto fail = [&](error_info failure) {
    reusable_ = false;
    busy_ = false;
    reader_.reset();
    outcome.response = std::move(failure);
    return std::move(outcome);
  };
  if (clock::now() >= deadline) co_return fail({.code = make_error_code(errc::timeout)});
  arm_watchdog(deadline);

  if (!connected_) {
    if (auto failure = co_await connect(); failure.code) co_return fail(std::move(failure));
  }

  const std::array<asio::const_buffer, 2> buffers{asio::buffer(write_buffer_), asio::buffer(request->body)};
  outcome.request_written = true;
  if (auto [ec, written] = co_await asio::async_write(stream_, buffers, on_strand_); ec) co_return fail({.code = classify(ec)});

  // The reader lives in the connection, not in this frame: with its parser's storage it
  // is a kilobyte, and the frame then fits Asio's per-thread cache of recycled frames.
  codec::response_reader& reader = reader_.emplace(
      codec::response_reader::limits{.max_body = limits.max_body, .max_header = limits.max_header},
      request->method == http_method::head);
  bool started = false;
  std::error_code ec;
  while (!ec && !reader.done()) {
    if (feed_buffered(reader, started, ec)) continue;
    auto [read_ec, n] = co_await stream_.async_read_some(
        asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_), on_strand_);
    if (read_ec) {
      ec = read_failed(read_ec, reader, started);
      break;
    }
    started = true;
    read_end_ += n;
  }
  outcome.response_started = started;
  if (ec) co_return fail({.code = ec});
  finish_response(reader);

  if (requests_completed_++ == 0) tls_.remember_session(stream_.native_handle());
  last_used_at_ = clock::now();
  busy_ = false;  // the watchdog stays armed for the next exchange (see quiesce())
  outcome.response = reader.release();
  reader_.reset();
  co_return outcome;
}

asio::awaitable<exchange_outcome> connection::exchange_apart(const http_request* request, std::string_view preset_fields,
                                                             clock::time_point deadline, exchange_limits limits) {
  // Asio 1.22 calls a cancellation handler on the thread that emits. A caller's
  // cancellation comes from the caller's executor (its strand, say), while the exchange
  // would run on this strand: emitted straight into the exchange, it would race with
  // it (TSan saw it, the ingester's stop() against a batch's response). So the
  // exchange runs as a coroutine of its own on this strand, and the caller's
  // cancellation reaches it by a post to the strand. The caller waits where it is.
  auto forward = std::make_shared<asio::cancellation_signal>();
  auto caller_slot = (co_await asio::this_coro::cancellation_state).slot();
  caller_slot.assign([forward, strand = strand_](asio::cancellation_type type) {
    asio::post(strand, [forward, type] { forward->emit(type); });
  });
  struct clear_on_exit {
    asio::cancellation_slot slot;
    ~clear_on_exit() { slot.clear(); }
  } guard{caller_slot};
  co_return co_await asio::co_spawn(strand_, exchange_here(request, preset_fields, deadline, limits),
                                    asio::bind_cancellation_slot(forward->slot(), asio::use_awaitable));
}

asio::awaitable<error_info> connection::connect() {
  if (proxy_ != nullptr) {
    if (auto failure = co_await open_tunnel(); failure.code) co_return failure;
  } else if (auto ec = co_await connect_socket(origin_.host, origin_.port, origin_.host_is_ip())) {
    co_return error_info{.code = ec};
  }
  // Through a tunnel too, TLS is with the origin: SNI and the host check name it.
  if (auto prepare_ec = tls_.prepare(stream_.native_handle(), origin_.host, origin_.host_is_ip()))
    co_return error_info{.code = prepare_ec};
  auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, on_strand_);
  if (ec) {
    if (timed_out_) co_return error_info{.code = make_error_code(errc::timeout)};
    if (ec == asio::error::operation_aborted) co_return error_info{.code = make_error_code(errc::cancelled)};
    co_return error_info{.code = make_error_code(tls_context::classify_handshake_failure(stream_.native_handle(), ec))};
  }
  session_resumed_ = SSL_session_reused(stream_.native_handle()) == 1;
  connected_ = true;
  co_return error_info{};
}

asio::awaitable<std::error_code> connection::connect_socket(const std::string& host, std::uint16_t port,
                                                            bool host_is_ip) {
  auto& socket = stream_.next_layer();
  std::error_code ec;
  if (host_is_ip) {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
    std::tie(ec) = co_await socket.async_connect(endpoint, on_strand_);
  } else {
    auto [resolve_ec, endpoints] = co_await resolver_.async_resolve(host, std::to_string(port), on_strand_);
    if (resolve_ec) co_return timed_out_ ? make_error_code(errc::timeout) : make_error_code(errc::resolve_failed);
    std::tie(ec, std::ignore) = co_await asio::async_connect(socket, endpoints, on_strand_);
  }
  if (ec) {
    const auto typed = classify(ec);
    co_return typed == errc::io_error || typed == errc::connection_reset ? make_error_code(errc::connect_failed)
                                                                         : typed;
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return std::error_code{};
}

asio::awaitable<error_info> connection::open_tunnel() {
  const std::string where = "proxy " + proxy_->authority;
  if (auto ec = co_await connect_socket(proxy_->host, proxy_->port, proxy_->host_is_ip)) {
    // The proxy's failure, not the origin's: a code of its own (retried as connect_failed is).
    if (ec == errc::resolve_failed || ec == errc::connect_failed)
      co_return error_info{.code = make_error_code(errc::proxy_unreachable),
                           .message = where + (ec == errc::resolve_failed ? " did not resolve" : " refused or unreachable")};
    co_return error_info{.code = ec, .message = "connecting to " + where};
  }
  std::string request;
  append_connect_request(origin_, *proxy_, request);
  auto [write_ec, written] = co_await asio::async_write(stream_.next_layer(), asio::buffer(request), on_strand_);
  OPENSSL_cleanse(request.data(), request.size());  // it may hold the proxy's credentials
  if (write_ec) co_return error_info{.code = classify(write_ec), .message = "sending CONNECT to " + where};

  codec::response_reader reader({.max_body = 0, .max_header = max_connect_response_header}, /*head_request=*/true);
  if (auto ec = co_await read_connect_response(reader)) {
    // A proxy that hangs up instead of answering refuses the tunnel, in effect.
    if (ec == errc::connection_closed || ec == errc::connection_reset)
      co_return error_info{.code = make_error_code(errc::proxy_refused),
                           .message = where + " closed the connection without answering CONNECT"};
    co_return error_info{.code = ec, .message = "reading the answer of " + where + " to CONNECT"};
  }
  const int status = reader.release().status;
  if (auto checked = check_connect_status(status, *proxy_, origin_); !checked) co_return std::move(checked).error();
  // The origin speaks first only after our ClientHello: bytes already here are the proxy's error.
  if (read_begin_ != read_end_)
    co_return error_info{.code = make_error_code(errc::protocol_error), .message = where + " sent bytes after its 2xx to CONNECT"};
  read_begin_ = read_end_ = 0;
  co_return error_info{};
}

asio::awaitable<std::error_code> connection::read_connect_response(codec::response_reader& reader) {
  bool started = false;
  std::error_code ec;
  while (!ec && !reader.done()) {
    if (feed_buffered(reader, started, ec)) continue;
    auto [read_ec, n] = co_await stream_.next_layer().async_read_some(
        asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_), on_strand_);
    if (read_ec) co_return classify(read_ec);
    read_end_ += n;
  }
  co_return ec;
}

bool connection::feed_buffered(codec::response_reader& reader, bool& started, std::error_code& ec) {
  if (read_begin_ < read_end_) {
    const std::size_t used = reader.put({read_buffer_.data() + read_begin_, read_end_ - read_begin_}, ec);
    started = started || reader.started();
    if (ec) return true;
    read_begin_ += used;
    if (used > 0 || reader.done()) return true;
  }
  // The parser needs more bytes than the buffer holds: make room after what is kept.
  if (read_begin_ > 0) {
    std::copy(read_buffer_.begin() + read_begin_, read_buffer_.begin() + read_end_, read_buffer_.begin());
    read_end_ -= read_begin_;
    read_begin_ = 0;
  }
  if (read_end_ == read_buffer_.size()) read_buffer_.resize(read_buffer_.size() * 2);
  return false;
}

std::error_code connection::read_failed(const std::error_code& read_ec, codec::response_reader& reader, bool& started) {
  if (read_ec != asio::error::eof && read_ec != asio::ssl::error::stream_truncated) return classify(read_ec);
  std::error_code ec;
  reader.put_eof(ec);
  if (!ec) return {};  // a close-delimited body ended: the response is complete
  started = started || reader.started();
  return timed_out_ ? make_error_code(errc::timeout) : ec;
}

void connection::finish_response(const codec::response_reader& reader) {
  // Bytes after the response would be a protocol violation (no pipelining here).
  if (!reader.keep_alive() || read_begin_ != read_end_) reusable_ = false;
  if (read_buffer_.size() > 4 * initial_read_buffer) {  // don't keep a large-body buffer while idle
    read_buffer_.resize(initial_read_buffer);
    read_buffer_.shrink_to_fit();
  }
  read_begin_ = read_end_ = 0;
}

void connection::arm_watchdog(clock::time_point deadline) {
  deadline_ = deadline;
  if (watchdog_armed_ && watchdog_.expiry() <= deadline) return;
  watchdog_armed_ = true;
  watchdog_.expires_at(deadline);
  watchdog_.async_wait(asio::bind_executor(strand_, [weak = weak_from_this(), generation = ++watchdog_generation_](std::error_code) {
    if (auto self = weak.lock()) self->on_watchdog(generation);
  }));
}

void connection::quiesce() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->busy_ || !self->watchdog_armed_) return;
    self->watchdog_armed_ = false;
    ++self->watchdog_generation_;  // the cancelled wait's handler sees a stale generation
    self->watchdog_.cancel();
  });
}

void connection::on_watchdog(std::uint64_t generation) {
  if (generation != watchdog_generation_) return;  // superseded by an earlier deadline
  watchdog_armed_ = false;
  if (!busy_) return;  // idle since: the watch ends here
  if (clock::now() < deadline_) {
    arm_watchdog(deadline_);
    return;
  }
  // Closing (not cancelling) stops every stage, including one the TLS engine is
  // about to start; the connection is never reused afterwards.
  timed_out_ = true;
  reusable_ = false;
  resolver_.cancel();
  std::error_code ignored;
  stream_.next_layer().close(ignored);
}

std::error_code connection::classify(const std::error_code& io_error) const {
  if (timed_out_) return make_error_code(errc::timeout);
  if (io_error == asio::error::operation_aborted) return make_error_code(errc::cancelled);
  // TLS 1.3: a server's refusal of our client certificate (or its absence) comes with
  // the first read, after the client's side of the handshake completed.
  if (tls_context::is_client_certificate_alert(io_error)) return make_error_code(errc::client_certificate_rejected);
  if (io_error == asio::error::eof || io_error == asio::ssl::error::stream_truncated)
    return make_error_code(errc::connection_closed);
  if (io_error == asio::error::connection_reset || io_error == asio::error::broken_pipe ||
      io_error == asio::error::connection_aborted)
    return make_error_code(errc::connection_reset);
  if (io_error == asio::error::connection_refused || io_error == asio::error::host_unreachable ||
      io_error == asio::error::network_unreachable || io_error == asio::error::timed_out)
    return make_error_code(errc::connect_failed);
  return make_error_code(errc::io_error);
}

}  // namespace codex::net
