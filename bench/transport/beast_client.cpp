// The hand-written baseline: Boost.Beast over Boost.Asio with C++20 coroutines, one
// keep-alive TLS session per unit of concurrency, http::async_write / async_read, no
// auth, no decode — what the SDK's call path costs on top of is measured against this.
// Every response is checked: status 200 and the exact body the server serves.
//
// Boost.Asio, not standalone Asio, and no codex: the SDK's separately compiled
// standalone Asio stays out of this executable (see harness.hpp).

#include "harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <exception>
#include <memory>

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using bench::transport::options;

/// One keep-alive connection and its read buffer (kept across requests: bytes of a
/// next response may already be in it).
struct session {
  explicit session(asio::io_context& io, ssl::context& tls) : stream(io, tls) {}
  ssl::stream<tcp::socket> stream;
  boost::beast::flat_buffer buffer;
  bool connected = false;
};

class beast_client {
 public:
  explicit beast_client(const options& o)
      : url_(bench::transport::split_url(o.url)), expected_(bench::transport::read_file(o.expect_file)) {
    tls_.set_verify_mode(ssl::verify_peer);
    tls_.load_verify_file(o.ca_file);
    endpoints_ = tcp::resolver(io_).resolve(url_.host, url_.port);
    request_ = make_request(o);
    for (unsigned i = 0; i < o.concurrency; ++i) sessions_.push_back(std::make_unique<session>(io_, tls_));
  }

  /// A session connects once; a connection the server closes fails the run.
  std::uint64_t connections() const {
    return static_cast<std::uint64_t>(std::count_if(sessions_.begin(), sessions_.end(), [](auto& s) { return s->connected; }));
  }

  /// `count` requests spread over every session; opens the sessions not yet open.
  void run(std::uint64_t count) {
    remaining_ = count;
    for (auto& s : sessions_) {
      asio::co_spawn(io_, work(*s), [this](std::exception_ptr e) {
        if (e && !failure_) failure_ = e;
      });
    }
    io_.restart();
    io_.run();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  http::request<http::string_body> make_request(const options& o) const {
    http::request<http::string_body> request{o.method == "POST" ? http::verb::post : http::verb::get, url_.target, 11};
    request.set(http::field::host, url_.host + ":" + url_.port);
    if (o.method == "POST") {
      request.set(http::field::content_type, "application/json");
      request.body() = bench::transport::read_file(o.body_file);
    }
    request.prepare_payload();
    return request;
  }

  asio::awaitable<void> work(session& s) {
    if (!s.connected) co_await connect(s);
    while (remaining_ > 0 && !failure_) {
      --remaining_;
      co_await exchange(s);
    }
  }

  asio::awaitable<void> connect(session& s) {
    co_await asio::async_connect(s.stream.lowest_layer(), endpoints_, asio::use_awaitable);
    s.stream.lowest_layer().set_option(tcp::no_delay(true));
    // SNI carries host names only (RFC 6066); the check accepts IP SANs too.
    boost::system::error_code ignored;
    asio::ip::make_address(url_.host, ignored);
    if (ignored) SSL_set_tlsext_host_name(s.stream.native_handle(), url_.host.c_str());
    s.stream.set_verify_callback(ssl::host_name_verification(url_.host));
    co_await s.stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    s.connected = true;
  }

  // The request is shared by every session: it is only read while written.
  asio::awaitable<void> exchange(session& s) {
    co_await http::async_write(s.stream, request_, asio::use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(s.stream, s.buffer, response, asio::use_awaitable);
    if (response.result_int() != 200) throw std::runtime_error("status " + std::to_string(response.result_int()));
    if (response.body() != expected_) throw std::runtime_error("the body is not the one the server serves");
  }

  asio::io_context io_{1};
  ssl::context tls_{ssl::context::tls_client};
  bench::transport::url_parts url_;
  std::string expected_;
  tcp::resolver::results_type endpoints_;
  http::request<http::string_body> request_;
  std::vector<std::unique_ptr<session>> sessions_;
  std::uint64_t remaining_ = 0;
  std::exception_ptr failure_;
};

}  // namespace

int main(int argc, char** argv) {
  return bench::transport::run_main([&] {
    const options o = bench::transport::parse_options(argc, argv, "beast");
    beast_client client(o);
    bench::transport::measure(o, [&](std::uint64_t count) { client.run(count); }, [&] { return client.connections(); });
  });
}
