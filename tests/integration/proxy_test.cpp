// HTTPS through a real HTTP proxy (Debian's tinyproxy, started by the test on
// 127.0.0.1): calls and the token fetch pass through its CONNECT tunnel (its log shows
// them), no_proxy goes around it, BasicAuth gives 407 without credentials and passes
// with them, and a proxy killed in the middle of a call gives a typed error within the
// call's deadline. Loopback only; every case well under 10 s.

#include "emulator/emulator.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"
#include "tinyproxy_server.hpp"

#include <codex/client.hpp>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <signal.h>

namespace emu = codex::emulator;
using codex::errc;
using namespace std::chrono_literals;

namespace {

/// The emulator on 127.0.0.1:0 (its CA in a temporary state directory).
struct running_emulator {
  codex::test::temp_dir dir{"codex-proxy-test"};
  emu::emulator server;

  explicit running_emulator(std::chrono::milliseconds latency = 0ms) : server(options(dir.path, latency)) { server.start(); }
  ~running_emulator() { server.stop(); }

  static emu::emulator_options options(const std::filesystem::path& dir, std::chrono::milliseconds latency) {
    emu::emulator_options o;
    o.state_dir = dir;
    o.service.faults.latency = latency;
    return o;
  }

  /// "127.0.0.1:PORT": what a CONNECT to the emulator names.
  std::string authority() const { return "127.0.0.1:" + std::to_string(server.port()); }

  codex::config config(codex::credentials creds, codex::net::proxy_options proxy) const {
    codex::config cfg;
    cfg.base_url = server.base_url();
    cfg.credentials = std::move(creds);
    cfg.transport.tls.ca_file = server.ca_file().string();
    cfg.transport.proxy = std::move(proxy);
    cfg.timeout = 5s;
    return cfg;
  }
  codex::credentials api_key() const { return codex::api_key_credentials{.key = codex::secret(server.credentials().api_key)}; }
  codex::credentials client() const {
    return codex::client_credentials{.client_id = server.credentials().client_id,
                                     .client_secret = codex::secret(server.credentials().client_secret), .scope = {}};
  }
};

codex::net::proxy_options through(const codex::test::tinyproxy_server& proxy, std::string no_proxy = {}) {
  return {.url = proxy.url(), .username = {}, .password = {}, .no_proxy = std::move(no_proxy)};
}

struct call_outcome {
  codex::result<codex::account> account;
  codex::net::transport_stats stats;
};

/// GET /account `calls` times with one client; the last outcome, and the pool's counters.
asio::awaitable<call_outcome> account_calls(asio::any_io_executor executor, codex::config cfg, int calls) {
  codex::client api(executor, std::move(cfg));
  codex::result<codex::account> last = errc::io_error;
  for (int i = 0; i < calls; ++i) last = co_await api.try_account();
  co_return call_outcome{std::move(last), api.transport_stats()};
}

call_outcome run_calls(codex::config cfg, int calls = 1) {
  return codex::test::run_coroutine(
      [&](asio::any_io_executor ex) { return account_calls(ex, std::move(cfg), calls); }, 10s);
}

/// Sets (nullptr: unsets) an environment variable for a scope.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~scoped_env() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("proxy: calls and the token fetch go through the CONNECT tunnel, kept alive", "[proxy]") {
  running_emulator api;
  codex::test::tinyproxy_server proxy;

  const auto outcome = run_calls(api.config(api.client(), through(proxy)), 3);
  INFO(proxy.log());
  REQUIRE(outcome.account);
  CHECK(outcome.account->project.id == api.server.credentials().project_id);
  // The token fetch and the three calls share one pooled connection: one tunnel. Had the
  // token fetch gone around the proxy, the pool would have opened two connections.
  CHECK(outcome.stats.connections_opened == 1);
  CHECK(proxy.connects_to(api.authority()) == 1);
  CHECK(api.server.api().stats().at(api.server.credentials().client_id).tokens_issued == 1);
}

TEST_CASE("proxy: the token fetch itself goes through the proxy (refused there, it fails)", "[proxy]") {
  running_emulator api;
  codex::test::tinyproxy_server proxy({{.user = "alice", .password = "s3cret"}});

  const auto outcome = run_calls(api.config(api.client(), through(proxy)));
  REQUIRE_FALSE(outcome.account);
  INFO(outcome.account.error().describe());
  CHECK(outcome.account.error().describe().find("proxy authentication required") != std::string::npos);
  CHECK(proxy.connects_to(api.authority()) >= 1);
  CHECK(api.server.api().stats().count(api.server.credentials().client_id) == 0);  // no token was asked of the service
}

TEST_CASE("proxy: no_proxy naming the origin goes around the proxy", "[proxy]") {
  running_emulator api;
  codex::test::tinyproxy_server proxy;
  for (const char* no_proxy : {"127.0.0.1", "localhost, 127.0.0.0/8", "*"}) {
    INFO(no_proxy);
    const auto outcome = run_calls(api.config(api.api_key(), through(proxy, no_proxy)));
    CHECK(outcome.account);
  }
  CHECK(proxy.connects_to(api.authority()) == 0);
  CHECK(run_calls(api.config(api.api_key(), through(proxy, "example.com"))).account);
  CHECK(proxy.connects_to(api.authority()) == 1);
}

TEST_CASE("proxy: config::from_env reads HTTPS_PROXY and NO_PROXY as curl does", "[proxy]") {
  running_emulator api;
  codex::test::tinyproxy_server proxy;
  const std::string ca = api.server.ca_file().string();
  scoped_env key("CODEX_API_KEY", api.server.credentials().api_key.c_str()), base("CODEX_BASE_URL", api.server.base_url().c_str()),
      ca_file("CODEX_CA_FILE", ca.c_str()), lower("https_proxy", nullptr), upper("HTTPS_PROXY", proxy.url().c_str()),
      lower_none("no_proxy", nullptr), upper_none("NO_PROXY", "example.com");
  auto cfg = codex::config::from_env();
  REQUIRE(cfg);
  CHECK(run_calls(*cfg).account);
  CHECK(proxy.connects_to(api.authority()) == 1);

  scoped_env bypass("NO_PROXY", "EXAMPLE.com,127.0.0.1:1234");  // case and ports do not matter
  cfg = codex::config::from_env();
  REQUIRE(cfg);
  CHECK(run_calls(*cfg).account);
  CHECK(proxy.connects_to(api.authority()) == 1);
}

TEST_CASE("proxy: BasicAuth — 407 without credentials or with wrong ones, success with them", "[proxy]") {
  running_emulator api;
  codex::test::tinyproxy_server proxy({{.user = "alice", .password = "s3cret"}});

  auto none = run_calls(api.config(api.api_key(), through(proxy))).account;
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::proxy_auth_required);
  CHECK(none.error().message.find(proxy.url().substr(7)) != std::string::npos);  // names the proxy

  auto options = through(proxy);
  options.username = "alice";
  options.password = codex::secret("wrong-password");
  auto wrong = run_calls(api.config(api.api_key(), options)).account;
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == errc::proxy_auth_required);
  CHECK(wrong.error().describe().find("wrong-password") == std::string::npos);

  options.password = codex::secret("s3cret");
  CHECK(run_calls(api.config(api.api_key(), options)).account);
  // The credentials written in the URL work too (as HTTPS_PROXY often has them).
  auto in_url = codex::net::proxy_options{.url = "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port()),
                                          .username = {}, .password = {}, .no_proxy = {}};
  auto outcome = run_calls(api.config(api.api_key(), in_url)).account;
  INFO(proxy.log());
  CHECK(outcome);
  CHECK(proxy.connects_to(api.authority()) == 4);
}

TEST_CASE("proxy: a proxy that is down, or killed during a call, is a typed error within the deadline", "[proxy]") {
  running_emulator api(1500ms);  // every response takes 1.5 s: the kill lands mid-call
  auto proxy = std::make_unique<codex::test::tinyproxy_server>();
  auto cfg = api.config(api.api_key(), through(*proxy));
  cfg.timeout = 4s;

  const auto started = std::chrono::steady_clock::now();
  auto killed = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::result<codex::account>> {
        codex::client client(ex, cfg);
        asio::steady_timer timer(ex, 300ms);
        timer.async_wait([&](std::error_code) { proxy->kill(); });
        co_return co_await client.try_account();
      },
      10s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(killed);
  INFO(killed.error().describe());
  // The tunnel breaks under the call (reset or closed); the retries then find no proxy.
  CHECK((killed.error().code == errc::proxy_unreachable || killed.error().code == errc::connection_reset ||
         killed.error().code == errc::connection_closed));
  CHECK(elapsed < 4500ms);

  // No proxy listening at all: proxy_unreachable, at once, naming the proxy.
  cfg.retry.max_attempts = 1;
  const auto down_started = std::chrono::steady_clock::now();
  auto down = run_calls(cfg).account;
  REQUIRE_FALSE(down);
  CHECK(down.error().code == errc::proxy_unreachable);
  CHECK(down.error().message.find(cfg.transport.proxy.url.substr(7)) != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - down_started < 1s);
}
