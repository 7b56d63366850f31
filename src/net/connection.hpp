#pragma once
// One keep-alive TLS connection of the pool, and the exchange of one request on it.

#include "net/http_codec.hpp"
#include "net/proxy.hpp"
#include "net/strand_ref.hpp"
#include "net/tls_context.hpp"

#include <codex/net/http_message.hpp>
#include <codex/net/url.hpp>
#include <codex/result.hpp>

#include <asio/awaitable.hpp>
#include <asio/bind_executor.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace codex::net {

/// Limits of one exchange.
struct exchange_limits {
  std::size_t max_body;
  std::size_t max_header;
};

/// What one exchange produced.
struct exchange_outcome {
  result<http_response> response = make_error_code(errc::io_error);
  /// Some response byte arrived (resending is no longer safe for non-idempotent requests).
  bool response_started = false;
  /// The request's writing began: false when the exchange failed while connecting.
  bool request_written = false;
};

/// A TLS connection used by one request at a time. All of its I/O, and its deadline
/// watchdog (see quiesce()), complete on its own strand: the pool may hand it to coroutines running on
/// any thread. The exchange runs in the caller's coroutine (no coroutine of its own is
/// spawned): it moves onto the strand when it starts, unless it is there already.
/// The strand is over the io_context's own executor type, not a type-erased one: a
/// completion through it then needs no heap allocation and no virtual call.
/// Must be owned by a shared_ptr (the watchdog holds a weak one).
class connection : public std::enable_shared_from_this<connection> {
 public:
  using clock = std::chrono::steady_clock;

  using strand_type = asio::strand<asio::io_context::executor_type>;

  /// `proxy`: the CONNECT tunnel to go through, or null (direct). Like `tls` and
  /// `origin`, it must outlive the connection (the transport owns all three).
  connection(asio::io_context::executor_type executor, tls_context& tls, const url& origin,
             const proxy_route* proxy = nullptr);
  ~connection();

  /// Connects if needed, writes the request and reads one response, all before
  /// `deadline`. Ends on the connection's strand — or, for a caller whose cancellation
  /// slot is connected (`caller_cancellable`, to be awaited at once by that caller),
  /// where the caller was: cancelling it is then safe from the caller's own executor.
  /// The request must outlive the call, and its head must be one
  /// codec::check_request_head() accepted.
  asio::awaitable<exchange_outcome> exchange(const http_request* request, std::string_view preset_fields,
                                             clock::time_point deadline, exchange_limits limits,
                                             bool caller_cancellable);

  /// Whether the connection may carry another request (no error, no timeout, no
  /// cancellation, no "Connection: close", no stray bytes, ssl stream intact).
  bool reusable() const noexcept { return reusable_; }
  /// True once a response has completed on it (a failure on a used connection may
  /// mean the server closed it while idle).
  bool used() const noexcept { return requests_completed_ > 0; }
  bool session_resumed() const noexcept { return session_resumed_; }

  /// Stops the watchdog unless an exchange is in flight (on the strand, later when
  /// called from elsewhere). The watchdog is one timer that outlives the exchanges:
  /// each exchange only writes its deadline, and the timer, when it fires early, waits
  /// again for the deadline then current; but a pending wait is outstanding work, so
  /// the pool calls this when no connection is in use, or the caller's
  /// io_context::run() would not return for up to a timeout.
  void quiesce();
  clock::time_point created_at() const noexcept { return created_at_; }
  clock::time_point last_used_at() const noexcept { return last_used_at_; }

 private:
  /// The exchange, in the caller's coroutine (moved onto the strand first).
  asio::awaitable<exchange_outcome> exchange_here(const http_request* request, std::string_view preset_fields,
                                                  clock::time_point deadline, exchange_limits limits);
  /// exchange_here() as a coroutine of its own on the strand, the caller's
  /// cancellation posted to it (see connection.cpp).
  asio::awaitable<exchange_outcome> exchange_apart(const http_request* request, std::string_view preset_fields,
                                                   clock::time_point deadline, exchange_limits limits);

  using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

  /// Opens the TCP connection (through the proxy's tunnel when there is one) and does
  /// the TLS handshake with the origin.
  asio::awaitable<error_info> connect();
  /// TCP to `host`:`port` (resolved unless an IP literal).
  asio::awaitable<std::error_code> connect_socket(const std::string& host, std::uint16_t port, bool host_is_ip);
  /// TCP to the proxy, CONNECT to the origin, the proxy's answer read (its head only: a
  /// 2xx answer to CONNECT has no body). The socket is then the origin's.
  asio::awaitable<error_info> open_tunnel();
  /// Reads the proxy's answer to CONNECT into `reader`.
  asio::awaitable<std::error_code> read_connect_response(codec::response_reader& reader);
  /// Feeds the buffered bytes to the reader; true when that made progress (or failed:
  /// `ec`), false when more must be read — room for it has been made.
  bool feed_buffered(codec::response_reader& reader, bool& started, std::error_code& ec);
  /// What a failed read means: an end of stream may complete a close-delimited body.
  std::error_code read_failed(const std::error_code& read_ec, codec::response_reader& reader, bool& started);
  void finish_response(const codec::response_reader& reader);
  void arm_watchdog(clock::time_point deadline);
  void on_watchdog(std::uint64_t generation);
  std::error_code classify(const std::error_code& io_error) const;

  using on_strand_token =
      asio::executor_binder<asio::experimental::as_tuple_t<asio::use_awaitable_t<>>, strand_ref>;

  strand_type strand_;
  on_strand_token on_strand_;  ///< every operation's completion token: resumes on the strand (by reference: see strand_ref)
  tls_context& tls_;
  const url& origin_;
  const proxy_route* proxy_;
  std::string host_header_;
  asio::ip::tcp::resolver resolver_;
  tls_stream stream_;
  asio::steady_timer watchdog_;

  std::optional<codec::response_reader> reader_;  ///< the response being read (see exchange_here)
  std::vector<char> read_buffer_;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;
  std::string write_buffer_;

  clock::time_point created_at_;
  clock::time_point last_used_at_;
  clock::time_point deadline_{};
  std::uint64_t watchdog_generation_ = 0;
  std::uint64_t requests_completed_ = 0;
  bool watchdog_armed_ = false;
  bool busy_ = false;
  bool timed_out_ = false;
  bool connected_ = false;
  bool reusable_ = true;
  bool session_resumed_ = false;
};

}  // namespace codex::net
