// Slow and greedy clients against the emulator's HTTPS server, over real TLS on
// loopback: a head or a body trickled in is answered 408 at its total time limit
// although every read is well inside the idle timeout; one client address cannot take
// every connection, and every way a connection ends gives its slot back; a head over
// the limit is a 431, not a 413. Last, the codex-emulator binary's flags for all this.
//
// The clients here are raw TLS sockets: they send what no well-behaved client would.

#include "child_process.hpp"
#include "net/http_codec.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
using Catch::Matchers::Contains;
using clock_type = std::chrono::steady_clock;
using codex::net::http_response;
using codex::test::run_coroutine;
using codex::test::sleep_for;
using codex::test::test_server;
using codex::test::test_server_options;

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// No co_await inside REQUIRE/CHECK: Catch also names the expression under
// __builtin_constant_p, and g++ 12 then runs the co_await twice.

// All of 127.0.0.0/8 is loopback on Linux: a second client address needs no set-up.
constexpr const char* greedy_address = "127.0.0.2";

/// Polls `condition` every 10 ms until it holds or `limit` passes; its last value.
asio::awaitable<bool> eventually(std::function<bool()> condition, std::chrono::milliseconds limit = 5s) {
  const auto give_up = clock_type::now() + limit;
  while (!condition()) {
    if (clock_type::now() >= give_up) co_return false;
    co_await sleep_for(10ms);
  }
  co_return true;
}

std::chrono::milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

/// A TLS client context that trusts only the CA in `ca_file`.
std::shared_ptr<asio::ssl::context> trusting(const std::filesystem::path& ca_file) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->load_verify_file(ca_file.string());
  tls->set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

/// What the server sent before it closed the connection.
struct reply {
  std::optional<http_response> response;
  bool then_closed = false;  ///< the server closed the connection after it, sending nothing more
};

/// One raw TLS connection to the server. Every member runs on the executor given.
class raw_client {
 public:
  raw_client(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls)
      : tls_(std::move(tls)), stream_(executor, *tls_) {}

  /// A TCP connection from `from` (bound before connecting), without TLS.
  asio::awaitable<bool> connect_tcp(std::uint16_t port, std::string from = "127.0.0.1") {
    auto& socket = stream_.next_layer();
    socket.open(tcp::v4());
    socket.bind({asio::ip::make_address(from), 0});
    auto [ec] = co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_tuple);
    co_return !ec;
  }

  /// Connects and completes the TLS handshake. False when the server refused the
  /// connection: the kernel accepts it, the server closes it before any TLS.
  asio::awaitable<bool> connect(std::uint16_t port, std::string from = "127.0.0.1") {
    if (!co_await connect_tcp(port, std::move(from))) co_return false;
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, use_tuple);
    co_return !ec;
  }

  asio::awaitable<bool> send(std::string bytes) {
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes), use_tuple);
    co_return !ec;
  }

  /// Sends `pieces` `gap` apart until they run out, a write fails or the server closed.
  asio::awaitable<void> trickle(std::vector<std::string> pieces, std::chrono::milliseconds gap) {
    for (auto& piece : pieces) {
      if (closed_ || !co_await send(std::move(piece))) co_return;
      co_await sleep_for(gap);
    }
  }

  /// The next response; nothing if the connection ended first.
  asio::awaitable<std::optional<http_response>> read_response() {
    codex::net::codec::response_reader reader({}, false);
    for (;;) {
      if (!pending_.empty()) {
        std::error_code ec;
        const std::size_t used = reader.put({pending_.data(), pending_.size()}, ec);
        pending_.erase(0, used);
        if (ec) co_return std::nullopt;
        if (reader.done()) co_return reader.release();
      }
      if (!co_await read_more()) co_return std::nullopt;
    }
  }

  /// Sends `request`; true if the reply is `status` and the server closes after it.
  asio::awaitable<bool> answered_then_closed(std::string request, int status) {
    if (!co_await send(std::move(request))) co_return false;
    const reply answer = co_await read_last_reply();
    co_return answer.response && answer.response->status == status && answer.then_closed;
  }

  /// The next response, then the end of the connection.
  asio::awaitable<reply> read_last_reply() {
    reply result;
    result.response = co_await read_response();
    while (co_await read_more()) {
    }
    result.then_closed = pending_.empty();
    co_return result;
  }

  /// Leaves with a FIN and no close_notify.
  void close() {
    std::error_code ignored;
    stream_.next_layer().close(ignored);
  }
  /// Leaves with an RST.
  void reset() {
    std::error_code ignored;
    stream_.next_layer().set_option(asio::socket_base::linger(true, 0), ignored);
    close();
  }

 private:
  /// Appends what arrives to pending_; false once the connection ended.
  asio::awaitable<bool> read_more() {
    char buffer[16 << 10];
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer), use_tuple);
    pending_.append(buffer, n);
    if (ec) closed_ = true;
    co_return !ec;
  }

  std::shared_ptr<asio::ssl::context> tls_;  // before stream_, which uses it
  asio::ssl::stream<tcp::socket> stream_;
  std::string pending_;
  bool closed_ = false;
};

/// A request line and then `count` header lines, one piece each: a head that never ends.
std::vector<std::string> endless_head(int count) {
  std::vector<std::string> pieces{"GET /slow HTTP/1.1\r\n", "Host: 127.0.0.1\r\n"};
  for (int i = 0; i < count; ++i) pieces.push_back("X-Line-" + std::to_string(i) + ": slow\r\n");
  return pieces;
}

/// A complete head that announces 1,000 bytes, then `count` pieces of 10 bytes: a body
/// that never ends.
std::vector<std::string> endless_body(int count) {
  std::vector<std::string> pieces{
      "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"};
  for (int i = 0; i < count; ++i) pieces.emplace_back(10, ' ');
  return pieces;
}

std::string head_of_size(std::size_t bytes) {
  return "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(bytes, 'a') + "\r\n\r\n";
}

const std::string simple_get = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const std::string closing_get = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
// Over any body limit (8 MiB by default): refused from its Content-Length alone.
const std::string oversized_post = "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n";

/// Checks that `answer` is the contract's error response `status`/`code`, after
/// which the server closed the connection.
void check_error_then_close(const reply& answer, int status, const std::string& code) {
  REQUIRE(answer.response.has_value());
  CHECK(answer.response->status == status);
  CHECK_THAT(answer.response->body, Contains("\"status\":" + std::to_string(status)));
  CHECK_THAT(answer.response->body, Contains("\"error\":\"" + code + "\""));
  CHECK(answer.then_closed);
}

/// A reply and how long it took from the first byte sent.
struct timed_reply {
  reply answer;
  std::chrono::milliseconds elapsed{};
};

/// Connects to `port` and sends `pieces` `gap` apart while reading the reply.
timed_reply trickle_to(std::uint16_t port, const std::filesystem::path& ca_file, std::vector<std::string> pieces,
                       std::chrono::milliseconds gap) {
  const auto tls = trusting(ca_file);
  return run_coroutine([&](auto executor) -> asio::awaitable<timed_reply> {
    raw_client client{executor, tls};
    const bool connected = co_await client.connect(port);
    REQUIRE(connected);
    const auto start = clock_type::now();
    reply answer = co_await (client.trickle(pieces, gap) && client.read_last_reply());
    co_return timed_reply{std::move(answer), since(start)};
  }, 30s);
}

}  // namespace

TEST_CASE("a head trickled in a line at a time is answered 408 at head_timeout", "[slow-clients][timeout]") {
  test_server_options options;
  options.server.head_timeout = 500ms;
  options.server.idle_timeout = 10s;  // a line every 100 ms is far inside it
  test_server server{{}, options};

  // 60 lines, 6 s of them: without a head limit this would outlast the check below.
  const timed_reply result = trickle_to(server.port(), server.ca_file(), endless_head(60), 100ms);
  check_error_then_close(result.answer, 408, "request_timeout");
  CHECK(result.elapsed < 5s);  // a hang check, not a measurement
  CHECK(server.stats().head_timeouts == 1);
  CHECK(server.stats().body_timeouts == 0);
  CHECK(server.stats().requests == 0);
}

TEST_CASE("a body trickled in is answered 408 at body_timeout", "[slow-clients][timeout]") {
  test_server_options options;
  options.server.body_timeout = 500ms;
  options.server.idle_timeout = 10s;
  test_server server{{}, options};

  const timed_reply result = trickle_to(server.port(), server.ca_file(), endless_body(60), 100ms);
  check_error_then_close(result.answer, 408, "request_timeout");
  CHECK(result.elapsed < 5s);
  CHECK(server.stats().body_timeouts == 1);
  CHECK(server.stats().head_timeouts == 0);
  CHECK(server.stats().requests == 0);
}

TEST_CASE("a keep-alive connection may idle past head_timeout: the head's clock starts at its first byte",
          "[slow-clients][timeout]") {
  test_server_options options;
  options.server.head_timeout = 300ms;
  options.server.idle_timeout = 10s;
  test_server server{{}, options};
  const auto tls = trusting(server.ca_file());

  const auto statuses = run_coroutine([&](auto executor) -> asio::awaitable<std::vector<int>> {
    raw_client client{executor, tls};
    const bool connected = co_await client.connect(server.port());
    REQUIRE(connected);
    std::vector<int> out;
    for (int i = 0; i < 2; ++i) {
      if (i > 0) co_await sleep_for(600ms);
      const bool sent = co_await client.send(simple_get);
      REQUIRE(sent);
      const auto response = co_await client.read_response();
      out.push_back(response ? response->status : 0);
    }
    co_return out;
  });
  CHECK(statuses == std::vector<int>{200, 200});
  CHECK(server.stats().head_timeouts == 0);
  CHECK(server.stats().accepts == 1);
}

TEST_CASE("one address over its connection cap is refused, and others are still served", "[slow-clients][cap]") {
  test_server_options options;
  options.server.max_connections = 8;
  options.server.max_connections_per_address = 4;
  test_server server{{}, options};
  const auto tls = trusting(server.ca_file());

  struct outcome {
    int greedy_admitted = 0;
    int greedy_refused = 0;
    int other_status = 0;
    int greedy_served_later = 0;
  };
  const outcome result = run_coroutine([&](auto executor) -> asio::awaitable<outcome> {
    outcome out;
    // More slow connections from one address than the whole server holds: each sends
    // a request line and then nothing.
    std::vector<std::unique_ptr<raw_client>> held;
    for (int i = 0; i < 9; ++i) {
      auto client = std::make_unique<raw_client>(executor, tls);
      if (co_await client->connect(server.port(), greedy_address) && co_await client->send("GET /held HTTP/1.1\r\n")) {
        ++out.greedy_admitted;
        held.push_back(std::move(client));
      } else {
        ++out.greedy_refused;
      }
    }
    raw_client other{executor, tls};
    if (co_await other.connect(server.port()) && co_await other.send(simple_get)) {
      const auto response = co_await other.read_response();
      out.other_status = response ? response->status : 0;
    }
    // The admitted ones are not disturbed by the refusals.
    for (auto& client : held) {
      if (!co_await client->send("Host: 127.0.0.1\r\n\r\n")) continue;
      const auto response = co_await client->read_response();
      if (response && response->status == 200) ++out.greedy_served_later;
    }
    co_return out;
  });
  CHECK(result.greedy_admitted == 4);
  CHECK(result.greedy_refused == 5);
  CHECK(result.other_status == 200);
  CHECK(result.greedy_served_later == 4);
  CHECK(server.stats().refused_per_address == 5);
  CHECK(server.stats().refused_full == 0);
}

namespace {

/// The ways a connection can end, each taking a different path out of the server.
enum class ending {
  no_tls,                      // TCP only: the handshake fails
  client_leaves_idle,          // handshake, then the client goes
  client_resets_mid_head,      // half a head, then an RST
  client_leaves_after_reply,   // a keep-alive exchange, then the client goes
  server_closes_after_reply,   // Connection: close
  malformed,                   // 400
  body_too_large,              // 413
  head_too_large,              // 431
  head_timeout,                // 408
};

constexpr ending every_ending[] = {
    ending::no_tls,         ending::client_leaves_idle, ending::client_resets_mid_head,
    ending::client_leaves_after_reply, ending::server_closes_after_reply, ending::malformed,
    ending::body_too_large, ending::head_too_large,     ending::head_timeout,
};

/// Connects from the greedy address and ends the connection `way`. True if the server
/// admitted it and answered as that way expects.
asio::awaitable<bool> connect_and_end(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                                      std::uint16_t port, ending way) {
  raw_client client{executor, std::move(tls)};
  if (way == ending::no_tls) {
    const bool connected = co_await client.connect_tcp(port, greedy_address);
    client.close();
    co_return connected;
  }
  if (!co_await client.connect(port, greedy_address)) co_return false;
  switch (way) {
    case ending::no_tls:
    case ending::client_leaves_idle:
      client.close();
      co_return true;
    case ending::client_resets_mid_head: {
      const bool sent = co_await client.send("GET /half HTTP/1.1\r\nHost: 127.0");
      client.reset();
      co_return sent;
    }
    case ending::client_leaves_after_reply: {
      if (!co_await client.send(simple_get)) co_return false;
      const auto response = co_await client.read_response();
      client.close();
      co_return response && response->status == 200;
    }
    case ending::server_closes_after_reply:
      co_return co_await client.answered_then_closed(closing_get, 200);
    case ending::malformed:
      co_return co_await client.answered_then_closed("NOT HTTP AT ALL\r\n\r\n", 400);
    case ending::body_too_large:
      co_return co_await client.answered_then_closed(oversized_post, 413);
    case ending::head_too_large:
      co_return co_await client.answered_then_closed(head_of_size(20 << 10), 431);
    case ending::head_timeout:
      co_return co_await client.answered_then_closed("GET /never-ends HTTP/1.1\r\n", 408);
  }
  co_return false;
}

}  // namespace

TEST_CASE("every way a connection ends gives its slot back to its address", "[slow-clients][cap]") {
  test_server_options options;
  options.server.max_connections_per_address = 4;
  options.server.head_timeout = 300ms;
  test_server server{{}, options};
  const auto tls = trusting(server.ca_file());
  auto no_connection_open = [&server] { return server.stats().open_connections == 0; };

  struct outcome {
    int endings_as_expected = 0;
    int endings_tried = 0;
    bool drained = true;
    int admitted_at_last = 0;
    bool refused_past_cap_at_last = false;
    int served_at_last = 0;
  };
  const outcome result = run_coroutine([&](auto executor) -> asio::awaitable<outcome> {
    outcome out;
    for (int round = 0; round < 2; ++round) {
      for (const ending way : every_ending) {
        // One at a time, so that the cap itself never refuses one of these.
        if (!co_await eventually(no_connection_open)) out.drained = false;
        ++out.endings_tried;
        if (co_await connect_and_end(executor, tls, server.port(), way)) ++out.endings_as_expected;
      }
      // A refusal at the cap must not give back a slot it never took.
      if (!co_await eventually(no_connection_open)) out.drained = false;
      std::vector<std::unique_ptr<raw_client>> held;
      for (int i = 0; i < 5; ++i) {
        held.push_back(std::make_unique<raw_client>(executor, tls));
        (void)co_await held.back()->connect(server.port(), greedy_address);
      }
      for (auto& client : held) client->close();
    }
    // Whatever happened above, the address again gets exactly its cap.
    if (!co_await eventually(no_connection_open)) out.drained = false;
    std::vector<std::unique_ptr<raw_client>> last;
    for (int i = 0; i < 4; ++i) {
      last.push_back(std::make_unique<raw_client>(executor, tls));
      if (co_await last.back()->connect(server.port(), greedy_address)) ++out.admitted_at_last;
    }
    raw_client one_too_many{executor, tls};
    out.refused_past_cap_at_last = !co_await one_too_many.connect(server.port(), greedy_address);
    for (auto& client : last) {
      if (!co_await client->send(simple_get)) continue;
      const auto response = co_await client->read_response();
      if (response && response->status == 200) ++out.served_at_last;
    }
    co_return out;
  }, 60s);
  CHECK(result.endings_as_expected == result.endings_tried);
  CHECK(result.drained);
  CHECK(result.admitted_at_last == 4);
  CHECK(result.refused_past_cap_at_last);
  CHECK(result.served_at_last == 4);
  CHECK(server.stats().refused_per_address == 3);  // one per round, one at the end
  CHECK(server.stats().head_timeouts == 2);
  CHECK(server.stats().head_too_large == 2);
}

TEST_CASE("a 100 KB head is answered 431, and a body over the limit still 413", "[slow-clients][limits]") {
  test_server server;
  const auto tls = trusting(server.ca_file());

  auto send_and_read = [&](std::string request) {
    return run_coroutine([&](auto executor) -> asio::awaitable<reply> {
      raw_client client{executor, tls};
      const bool connected = co_await client.connect(server.port());
      REQUIRE(connected);
      // Both at once: the server answers before it has read all of a head this big.
      auto [sent, answer] = co_await (client.send(request) && client.read_last_reply());
      co_return answer;
    });
  };
  check_error_then_close(send_and_read(head_of_size(100 << 10)), 431, "request_header_fields_too_large");
  CHECK(server.stats().head_too_large == 1);
  CHECK(server.stats().too_large == 0);

  check_error_then_close(send_and_read(oversized_post), 413, "payload_too_large");
  CHECK(server.stats().too_large == 1);
  CHECK(server.stats().head_too_large == 1);
}

namespace {

/// codex-emulator as a child process with `flags`; stopped with SIGTERM at the end.
class emulator_binary {
 public:
  explicit emulator_binary(const std::vector<std::string>& flags) {
    const char* binary = std::getenv("CODEX_EMULATOR_BIN");
    INFO("meson passes the binary's path in CODEX_EMULATOR_BIN");
    REQUIRE(binary != nullptr);
    std::vector<std::string> argv = {binary, "--port", "0", "--state-dir", (dir_.path / "state").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const auto out_path = dir_.path / "out", err_path = dir_.path / "err";
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(out >= 0);
    REQUIRE(err >= 0);
    std::vector<std::string> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) environment.emplace_back(*variable);
    process_ = std::make_unique<codex::test::child>(argv, environment, out, err);
    ::close(out);
    ::close(err);

    // "codex-emulator listening on https://127.0.0.1:PORT/v1"
    const std::string banner = "codex-emulator listening on https://127.0.0.1:";
    const auto give_up = clock_type::now() + 30s;
    for (;;) {
      const std::string text = read_text(out_path);
      if (const auto at = text.find(banner); at != std::string::npos && text.find('\n', at) != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + banner.size())));
        break;
      }
      INFO("codex-emulator's stderr: " << read_text(err_path));
      REQUIRE(process_->running());
      REQUIRE(clock_type::now() < give_up);
      std::this_thread::sleep_for(20ms);
    }
  }
  ~emulator_binary() {
    process_->signal(SIGTERM);
    (void)process_->wait_for(10s);  // else the child's destructor kills it
  }
  emulator_binary(const emulator_binary&) = delete;
  emulator_binary& operator=(const emulator_binary&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::filesystem::path ca_file() const { return dir_.path / "state" / "ca.pem"; }

 private:
  static std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  codex::test::temp_dir dir_{"codex-slow-clients"};
  std::unique_ptr<codex::test::child> process_;
  std::uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("codex-emulator's flags set the head and body limits and the per-address cap", "[slow-clients][cli]") {
  emulator_binary emulator({"--head-timeout", "0.3", "--body-timeout", "0.3", "--max-connections-per-address", "2"});

  const timed_reply head = trickle_to(emulator.port(), emulator.ca_file(), endless_head(60), 100ms);
  check_error_then_close(head.answer, 408, "request_timeout");
  CHECK(head.elapsed < 5s);
  const timed_reply body = trickle_to(emulator.port(), emulator.ca_file(), endless_body(60), 100ms);
  check_error_then_close(body.answer, 408, "request_timeout");
  CHECK(body.elapsed < 5s);

  const auto tls = trusting(emulator.ca_file());
  const auto admitted = run_coroutine([&](auto executor) -> asio::awaitable<std::vector<bool>> {
    std::vector<std::unique_ptr<raw_client>> clients;
    std::vector<bool> out;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(std::make_unique<raw_client>(executor, tls));
      out.push_back(co_await clients.back()->connect(emulator.port(), greedy_address));
    }
    co_return out;
  });
  CHECK(admitted == std::vector<bool>{true, true, false});
}
