// codex::net::transport end to end: real TLS against the scripted test server on
// 127.0.0.1 — verification, keep-alive, every fault the server can script, limits,
// deadlines, cancellation and concurrency.

#include <codex/net/transport.hpp>

#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using codex::test::sleep_for;

using namespace std::chrono_literals;
using codex::errc;
using codex::emulator::request_context;
using codex::emulator::response_plan;
using codex::net::codec::server_request;
using clock_type = std::chrono::steady_clock;
using response_result = codex::result<codex::net::http_response>;
// How many exchanges succeeded, and the transport's counters afterwards.
using successes_and_stats = std::pair<int, codex::net::transport_stats>;
// co_spawn and awaitable_operators need a default-constructible value; result has none.
using maybe_response = std::optional<response_result>;

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

codex::net::transport_options trusting(const codex::test::test_server& server) {
  codex::net::transport_options options;
  options.tls.ca_file = server.ca_file();
  return options;
}

codex::net::url origin_of(const codex::test::test_server& server) {
  return codex::net::url::parse(server.base_url()).value();
}

codex::net::http_request get(std::string target) {
  codex::net::http_request request;
  request.method = codex::net::http_method::get;
  request.target = std::move(target);
  return request;
}

clock_type::time_point in(std::chrono::milliseconds duration) { return clock_type::now() + duration; }

asio::awaitable<maybe_response> optional_of(asio::awaitable<response_result> exchange) {
  co_return maybe_response{co_await std::move(exchange)};
}

/// What the server saw of one request. The handler runs on the server's threads, so
/// the log is locked; tests read it only after the exchange.
struct seen_request {
  codex::net::http_method method{};
  std::string target;
  std::string body;
  std::optional<std::string> test_header;
  std::optional<std::string> host;
};

class request_log {
 public:
  void add(const server_request& request) {
    seen_request seen{request.method, request.target, request.body, {}, {}};
    if (auto value = request.headers.find("X-Test")) seen.test_header = std::string(*value);
    if (auto value = request.headers.find("Host")) seen.host = std::string(*value);
    std::lock_guard lock{mutex_};
    requests_.push_back(std::move(seen));
  }
  std::vector<seen_request> all() const {
    std::lock_guard lock{mutex_};
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<seen_request> requests_;
};

/// A handler that answers every request with the same plan.
codex::test::test_server::handler always(response_plan plan) {
  return [plan](server_request&, const request_context&) { return plan; };
}

/// Runs `count` exchanges at once on `pool_executor` (possibly several threads) and
/// returns their results in order. The bookkeeping lives on a strand of its own.
asio::awaitable<std::vector<maybe_response>> gather_on_strand(
    codex::net::transport& transport, std::size_t count,
    std::function<codex::net::http_request(std::size_t)> make_request, clock_type::time_point deadline,
    asio::any_io_executor pool_executor) {
  auto strand = co_await asio::this_coro::executor;
  asio::steady_timer all_done{strand, clock_type::time_point::max()};
  std::vector<maybe_response> results(count);
  std::size_t remaining = count;
  std::exception_ptr failure;
  for (std::size_t i = 0; i < count; ++i) {
    asio::co_spawn(pool_executor, optional_of(transport.send(make_request(i), deadline)),
                   [&, i, strand](std::exception_ptr e, maybe_response r) {
                     asio::dispatch(strand, [&, i, e, r = std::move(r)]() mutable {
                       if (e && !failure) failure = e;
                       results[i] = std::move(r);
                       // expires_at also ends a wait that has not begun yet: no lost wake-up.
                       if (--remaining == 0) all_done.expires_at(clock_type::time_point::min());
                     });
                   });
  }
  while (remaining > 0) co_await all_done.async_wait(use_tuple);
  if (failure) std::rethrow_exception(failure);
  co_return results;
}

asio::awaitable<std::vector<maybe_response>> send_concurrently(
    codex::net::transport& transport, std::size_t count,
    std::function<codex::net::http_request(std::size_t)> make_request, clock_type::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::co_spawn(
      asio::make_strand(executor),
      gather_on_strand(transport, count, std::move(make_request), deadline, executor), asio::use_awaitable);
}

std::string describe(const response_result& response) {
  return response.has_value() ? "status " + std::to_string(response->status) : response.error().describe();
}

/// Runs one coroutine that yields a response_result (co_spawn needs a
/// default-constructible value, so it travels as an optional).
template <class MakeExchange>
response_result run_exchange(MakeExchange make_exchange) {
  auto response = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<maybe_response> {
    co_return maybe_response{co_await make_exchange(executor)};
  });
  return std::move(*response);
}

bool is_one_of(std::error_code code, std::initializer_list<errc> expected) {
  for (errc e : expected) {
    if (code == e) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("GET over verified TLS: the server sees the request, the client the whole response", "[transport]") {
  request_log log;
  codex::test::test_server server{[&log](server_request& request, const request_context&) {
    log.add(request);
    response_plan plan;
    plan.headers.add("Content-Type", "application/json");
    plan.headers.add("X-Custom", "yes");
    plan.body = R"({"hello":"world"})";
    return plan;
  }};

  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    auto request = get("/v1/things?limit=5");
    request.headers.add("X-Test", "42");
    co_return co_await transport.send(std::move(request), in(10s));
  });

  REQUIRE(response.has_value());
  CHECK(response->status == 200);
  CHECK(response->headers.find("X-Custom") == std::optional<std::string_view>{"yes"});
  CHECK(response->headers.find("x-request-id").has_value());
  CHECK(response->body == R"({"hello":"world"})");
  CHECK(response->body.capacity() >= response->body.size() + codex::net::body_padding);

  const auto seen = log.all();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == codex::net::http_method::get);
  CHECK(seen[0].target == "/v1/things?limit=5");
  CHECK(seen[0].test_header == std::optional<std::string>{"42"});
  CHECK(seen[0].host == std::optional<std::string>{"127.0.0.1:" + std::to_string(server.port())});
  CHECK(seen[0].body.empty());
}

TEST_CASE("POST over verified TLS carries the body both ways", "[transport]") {
  request_log log;
  codex::test::test_server server{[&log](server_request& request, const request_context&) {
    log.add(request);
    response_plan plan;
    plan.status = 201;
    plan.headers.add("Content-Type", "application/json");
    plan.body = request.body;  // echo
    return plan;
  }};
  const std::string payload = R"({"title":"a document","tags":["x","y"]})";

  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    codex::net::http_request request;
    request.method = codex::net::http_method::post;
    request.target = "/v1/documents";
    request.headers.add("Content-Type", "application/json");
    request.body = payload;
    co_return co_await transport.send(std::move(request), in(10s));
  });

  REQUIRE(response.has_value());
  CHECK(response->status == 201);
  CHECK(response->body == payload);
  CHECK(response->body.capacity() >= response->body.size() + codex::net::body_padding);
  const auto seen = log.all();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == codex::net::http_method::post);
  CHECK(seen[0].target == "/v1/documents");
  CHECK(seen[0].body == payload);
}

TEST_CASE("a server certificate from another CA is certificate_rejected", "[transport][tls]") {
  auto server = codex::test::test_server::signed_by_other_ca();
  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    co_return co_await transport.send(get("/"), in(10s));
  });
  REQUIRE_FALSE(response.has_value());
  CHECK(response.code() == errc::certificate_rejected);
  CHECK(server.stats().requests == 0);
}

TEST_CASE("a certificate for another host name is host_name_mismatch", "[transport][tls]") {
  auto server = codex::test::test_server::for_other_host();
  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    co_return co_await transport.send(get("/"), in(10s));
  });
  REQUIRE_FALSE(response.has_value());
  CHECK(response.code() == errc::host_name_mismatch);
  CHECK(server.stats().requests == 0);
}

TEST_CASE("an http:// URL is refused before any connection is attempted", "[transport][tls]") {
  asio::io_context io;
  asio::ip::tcp::acceptor listener{io, {asio::ip::make_address("127.0.0.1"), 0}};
  const std::string port = std::to_string(listener.local_endpoint().port());

  for (const std::string& text : {"http://127.0.0.1:" + port, "HTTP://127.0.0.1:" + port + "/v1"}) {
    auto parsed = codex::net::url::parse(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.code() == errc::unsupported_scheme);
  }

  // Nothing may be waiting in the listener's backlog.
  listener.non_blocking(true);
  asio::ip::tcp::socket peer{io};
  std::error_code ec;
  listener.accept(peer, ec);
  CHECK(ec == asio::error::would_block);
}

TEST_CASE("1,000 sequential requests share one connection", "[transport][keep-alive]") {
  codex::test::test_server server;
  auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<successes_and_stats> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    int succeeded = 0;
    for (int i = 0; i < 1000; ++i) {
      auto response = co_await transport.send(get("/ping"), in(10s));
      if (response && response->status == 200) ++succeeded;
    }
    co_return std::pair{succeeded, transport.stats()};
  }, 120s);
  CHECK(outcome.first == 1000);
  CHECK(server.stats().accepts == 1);
  CHECK(server.stats().requests == 1000);
  CHECK(outcome.second.connections_opened == 1);
  CHECK(outcome.second.requests_sent >= 1000);
}

TEST_CASE("a keep-alive connection the server closed while idle is replaced without error",
          "[transport][keep-alive]") {
  codex::test::test_server_options options;
  options.server.idle_timeout = 100ms;
  codex::test::test_server server{{}, options};

  auto results = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<std::vector<response_result>> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    std::vector<response_result> out;
    out.push_back(co_await transport.send(get("/first"), in(10s)));
    co_await sleep_for(300ms);
    out.push_back(co_await transport.send(get("/second"), in(10s)));
    co_return out;
  });
  REQUIRE(results.size() == 2);
  for (const auto& response : results) {
    INFO(describe(response));
    REQUIRE(response.has_value());
    CHECK(response->status == 200);
  }
  CHECK(server.stats().accepts == 2);
}

TEST_CASE("Connection: close from the server is honoured", "[transport][keep-alive]") {
  response_plan plan = codex::test::test_server::default_response();
  plan.close = true;
  codex::test::test_server server{always(plan)};

  auto results = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<std::vector<response_result>> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    std::vector<response_result> out;
    out.push_back(co_await transport.send(get("/first"), in(10s)));
    out.push_back(co_await transport.send(get("/second"), in(10s)));
    co_return out;
  });
  for (const auto& response : results) {
    INFO(describe(response));
    REQUIRE(response.has_value());
    CHECK(response->status == 200);
  }
  CHECK(server.stats().accepts == 2);
  CHECK(server.stats().requests == 2);
}

TEST_CASE("a stalled server ends in errc::timeout at the deadline", "[transport][deadline]") {
  response_plan plan;
  plan.stall = true;
  codex::test::test_server server{always(plan)};

  clock_type::duration elapsed{};
  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    const auto start = clock_type::now();
    auto result = co_await transport.send(get("/slow"), start + 200ms);
    elapsed = clock_type::now() - start;
    co_return result;
  });
  REQUIRE_FALSE(response.has_value());
  CHECK(response.code() == errc::timeout);
  CHECK(elapsed >= 195ms);
  CHECK(elapsed <= 1500ms);
}

TEST_CASE("a response body over max_response_body is response_too_large", "[transport][limits]") {
  response_plan plan;
  plan.body = std::string(8u << 20, 'x');
  codex::test::test_server server{always(plan)};

  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    auto options = trusting(server);
    options.max_response_body = 1u << 20;
    codex::net::transport transport{executor, origin_of(server), options};
    co_return co_await transport.send(get("/big"), in(20s));
  });
  REQUIRE_FALSE(response.has_value());
  CHECK(response.code() == errc::response_too_large);
}

TEST_CASE("a response cut mid-body is connection_closed or connection_reset, never success",
          "[transport][faults]") {
  response_plan plan;
  plan.body = std::string(10'000, 'a');
  plan.cut_after = 3'000;  // the head is ~100 bytes: this is in the middle of the body
  codex::test::test_server server{always(plan)};

  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    co_return co_await transport.send(get("/cut"), in(10s));
  });
  REQUIRE_FALSE(response.has_value());
  INFO(describe(response));
  CHECK(is_one_of(response.code(), {errc::connection_closed, errc::connection_reset}));
}

TEST_CASE("a reset mid-response is a typed error", "[transport][faults]") {
  response_plan plan;
  plan.body = std::string(10'000, 'a');
  plan.cut_after = 3'000;
  plan.reset = true;
  codex::test::test_server server{always(plan)};

  auto response = run_exchange([&](auto executor) -> asio::awaitable<response_result> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    co_return co_await transport.send(get("/reset"), in(10s));
  });
  REQUIRE_FALSE(response.has_value());
  INFO(describe(response));
  CHECK(response.code().category() == codex::category());
  CHECK(is_one_of(response.code(), {errc::connection_reset, errc::connection_closed}));
}

TEST_CASE("the next connection to the same origin resumes the TLS session", "[transport][tls]") {
  response_plan plan = codex::test::test_server::default_response();
  plan.close = true;  // every request forces a new connection
  codex::test::test_server server{always(plan)};

  auto outcome = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<successes_and_stats> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    int succeeded = 0;
    for (int i = 0; i < 3; ++i) {
      auto response = co_await transport.send(get("/again"), in(10s));
      if (response && response->status == 200) ++succeeded;
    }
    co_return std::pair{succeeded, transport.stats()};
  });
  CHECK(outcome.first == 3);
  CHECK(server.stats().accepts == 3);
  CHECK(outcome.second.connections_opened == 3);
  CHECK(outcome.second.sessions_resumed >= 1);
}

TEST_CASE("the pool never opens more than max_connections", "[transport][pool]") {
  response_plan plan = codex::test::test_server::default_response();
  plan.delay = 50ms;
  codex::test::test_server server{always(plan)};

  auto results = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<std::vector<maybe_response>> {
    auto options = trusting(server);
    options.max_connections = 2;
    codex::net::transport transport{executor, origin_of(server), options};
    co_return co_await send_concurrently(transport, 10, [](std::size_t) { return get("/slow"); }, in(10s));
  });
  REQUIRE(results.size() == 10);
  for (const auto& response : results) {
    REQUIRE(response.has_value());
    INFO(describe(*response));
    REQUIRE(response->has_value());
    CHECK((*response)->status == 200);
  }
  CHECK(server.stats().accepts <= 2);
  CHECK(server.stats().requests == 10);
}

TEST_CASE("a request cancelled through its cancellation slot returns errc::cancelled promptly",
          "[transport][cancel]") {
  std::atomic<int> calls{0};
  codex::test::test_server server{[&calls](server_request&, const request_context&) {
    response_plan plan = codex::test::test_server::default_response();
    plan.stall = calls.fetch_add(1) == 0;  // only the first request hangs
    return plan;
  }};

  struct outcome {
    maybe_response cancelled;
    clock_type::duration elapsed{};
    maybe_response after;
  };
  auto result = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<outcome> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    outcome out;
    asio::cancellation_signal signal;
    asio::steady_timer done{executor, clock_type::time_point::max()};
    bool finished = false;
    const auto start = clock_type::now();
    asio::co_spawn(executor, optional_of(transport.send(get("/hang"), in(10s))),
                   asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr, maybe_response r) {
                     out.cancelled = std::move(r);
                     out.elapsed = clock_type::now() - start;
                     finished = true;
                     done.cancel();
                   }));
    co_await sleep_for(100ms);
    signal.emit(asio::cancellation_type::terminal);
    if (!finished) co_await done.async_wait(use_tuple);
    out.after = co_await transport.send(get("/fine"), in(10s));
    co_return out;
  });

  REQUIRE(result.cancelled.has_value());
  REQUIRE_FALSE(result.cancelled->has_value());
  CHECK(result.cancelled->code() == errc::cancelled);
  CHECK(result.elapsed < 1s);
  REQUIRE(result.after.has_value());
  INFO(describe(*result.after));
  REQUIRE(result.after->has_value());
  CHECK((*result.after)->status == 200);
}

TEST_CASE("request || timer: the losing request is cancelled and the call returns promptly",
          "[transport][cancel]") {
  response_plan plan;
  plan.stall = true;
  codex::test::test_server server{always(plan)};

  clock_type::duration elapsed{};
  const auto winner = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<std::size_t> {
    using namespace asio::experimental::awaitable_operators;
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    asio::steady_timer timer{executor, 100ms};
    const auto start = clock_type::now();
    auto raced =
        co_await (optional_of(transport.send(get("/hang"), in(10s))) || timer.async_wait(asio::use_awaitable));
    elapsed = clock_type::now() - start;
    co_return raced.index();
  });
  CHECK(winner == 1);
  CHECK(elapsed < 1s);
}

TEST_CASE("200 concurrent requests from an io_context run by 4 threads all succeed", "[mt]") {
  codex::test::test_server_options options;
  options.server.threads = 2;
  codex::test::test_server server{[](server_request& request, const request_context&) {
    response_plan plan;
    plan.body = request.target;  // each response names its request
    return plan;
  }, options};

  auto results = codex::test::run_coroutine([&](auto executor) -> asio::awaitable<std::vector<maybe_response>> {
    codex::net::transport transport{executor, origin_of(server), trusting(server)};
    co_return co_await send_concurrently(
        transport, 200, [](std::size_t i) { return get("/n/" + std::to_string(i)); }, in(60s));
  }, 90s, 4);

  // Assertions only here, on the test's thread: Catch2 v2 is not thread-safe.
  REQUIRE(results.size() == 200);
  std::size_t succeeded = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& response = results[i];
    if (response && response->has_value() && (*response)->status == 200 &&
        (*response)->body == "/n/" + std::to_string(i)) {
      ++succeeded;
    }
  }
  CHECK(succeeded == 200);
  CHECK(server.stats().requests == 200);
}

TEST_CASE("io_context::run() returns as soon as the last exchange is done", "[transport]") {
  // A connection's deadline timer stays armed from one exchange to the next while the
  // pool is busy, so a connection given back while others are in use keeps a pending
  // wait; when the last one comes back, every wait must stop, or a caller that runs
  // its io_context to completion would wait out the deadline. One call, then eight
  // at once (the first given back while seven are in flight).
  codex::test::test_server server;
  for (const int calls : {1, 8}) {
    asio::io_context io;
    codex::net::transport transport{io.get_executor(), origin_of(server), trusting(server)};
    int ok = 0;
    for (int i = 0; i < calls; ++i) {
      asio::co_spawn(io, transport.send(get("/once"), in(30s)),
                     [&](std::exception_ptr, codex::result<codex::net::http_response> response) {
                       ok += response && response->status == 200;
                     });
    }
    const auto start = clock_type::now();
    io.run_for(20s);
    const auto elapsed = clock_type::now() - start;
    CHECK(ok == calls);
    CHECK(io.stopped());  // out of work, not out of time
    CHECK(elapsed < 5s);  // a bound, not a benchmark: the deadline was 30 s
  }
}

TEST_CASE("a caller on a strand is back on it after each exchange, whatever thread ran the I/O", "[mt]") {
  // The exchange's I/O completes on the connection's own strand; code after send() must
  // run inside the caller's strand again, or the caller's own state would lose the
  // serialisation the strand promises. Two threads run the io_context.
  codex::test::test_server server;
  const auto [statuses, on_strand] = codex::test::run_coroutine(
      [&](asio::any_io_executor executor) -> asio::awaitable<std::pair<int, int>> {
        codex::net::transport transport{executor, origin_of(server), trusting(server)};
        auto strand = asio::make_strand(executor);
        co_return co_await asio::co_spawn(
            strand,
            [&]() -> asio::awaitable<std::pair<int, int>> {
              int ok = 0, inside = 0;
              for (int i = 0; i < 20; ++i) {
                auto response = co_await transport.send(get("/strand/" + std::to_string(i)), in(30s));
                if (response && response->status == 200) ++ok;
                if (strand.running_in_this_thread()) ++inside;
              }
              co_return std::pair{ok, inside};
            },
            asio::use_awaitable);
      },
      60s, 2);
  CHECK(statuses == 20);
  CHECK(on_strand == 20);
}

TEST_CASE("an executor of anything but an io_context is refused when the transport is made", "[transport]") {
  asio::thread_pool pool{1};
  try {
    codex::net::transport transport{pool.get_executor(), codex::net::url::parse("https://127.0.0.1:1").value()};
    FAIL("the transport accepted a thread_pool's executor");
  } catch (const codex::error& e) {
    CHECK(e.code() == errc::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains("io_context"));
  }
  pool.join();
}
