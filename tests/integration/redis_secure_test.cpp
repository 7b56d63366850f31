// The Redis limiter against a redis-server that asks for a password (requirepass and an
// ACL user) and, further down, one that speaks TLS only (a CA and leaf made at test
// start): AUTH and SELECT on every connection, pipelined with the first command; wrong,
// missing and under-privileged credentials as typed errors at once, never holding the
// password; the password from CODEX_LIMITER_PASSWORD.

#include "limit/redis_client.hpp"
#include "limit/redis_limiter.hpp"

#include "emulator/emulator.hpp"
#include "emulator/pki.hpp"
#include "redis_server.hpp"
#include "redis_test_options.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>

#include <netdb.h>
#include <netinet/in.h>

#include <cstdlib>
#include <filesystem>

using namespace codex::limit;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using codex::test::redis_server;
namespace emu = codex::emulator;

namespace {

constexpr const char* admin_password = "adm1n-Pa55-9f3c";
constexpr const char* worker_password = "w0rker-Pa55-41d7";

/// A server with a default-user password and the ACL user "codex" (limiter keys only).
redis_server::options password_server() {
  return {.requirepass = admin_password,
          .acl_users = {std::string("codex on >") + worker_password + " ~codex:* +@all",
                        std::string("reader on >") + worker_password + " ~* +get +ping"}};
}

using codex::test::words;

/// "redis://USERINFO@127.0.0.1:PORT/DB" for `server`.
std::string url_with(const redis_server& server, const std::string& userinfo, unsigned db = 0) {
  std::string url = server.url();
  const auto scheme_end = url.find("://") + 3;
  url.insert(scheme_end, userinfo + "@");
  url.replace(url.rfind('/') + 1, std::string::npos, std::to_string(db));
  return url;
}

redis_limiter_options limiter_options(const std::string& url) { return codex::test::quick(codex::limit::redis(url)); }

redis_client_options client_options(const std::string& url) { return codex::test::quick_client_options(url); }

bool holds_secret(const std::string& text) {
  return text.find(admin_password) != std::string::npos || text.find(worker_password) != std::string::npos;
}

const rate_limit fast{.limit = 1000, .period = 1s, .burst = 1};

}  // namespace

TEST_CASE("redis AUTH: an ACL user and SELECT, pipelined with the first command, again on every reconnection", "[redis]") {
  redis_server server(password_server());
  const std::string url = url_with(server, std::string("codex:") + worker_password, 2);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto client = redis_client::start(ex, client_options(url));
    // Queued before the loop has connected: AUTH, SELECT and the command share one write.
    auto who = co_await client->exec(words("ACL", "WHOAMI"), clock_type::now() + 5s);
    REQUIRE(who);
    CHECK(who->text == "codex");
    CHECK(client->stats().round_trips == 1);
    CHECK(client->stats().commands == 3);
    auto info = co_await client->exec(words("CLIENT", "INFO"), clock_type::now() + 5s);
    REQUIRE(info);
    CHECK(info->text.find(" db=2 ") != std::string::npos);

    // Another user drops our connection: the next command logs in again by itself.
    auto admin = redis_client::start(ex, client_options(url_with(server, std::string(":") + admin_password)));
    auto killed = co_await admin->exec(words("CLIENT", "KILL", "USER", "codex"), clock_type::now() + 5s);
    REQUIRE(killed);
    CHECK(killed->integer == 1);
    std::optional<codex::result<redis_reply>> again;
    for (int i = 0; i < 50; ++i) {  // the first may meet the closed connection
      again = co_await client->exec(words("CLIENT", "INFO"), clock_type::now() + 2s);
      if (*again) break;
    }
    REQUIRE(*again);
    CHECK((*again)->text.find(" db=2 ") != std::string::npos);
    CHECK((*again)->text.find(" user=codex ") != std::string::npos);
    CHECK(client->stats().connects == 2);

    // The limiter's schedule lives in database 2, under the ACL user's key pattern.
    auto limiter = std::make_unique<redis_limiter>(ex, limiter_options(url), fast, "sha256:auth");
    {
      const auto done = co_await limiter->acquire(clock_type::now() + 5s);
      REQUIRE(done);
    }
    auto stored = co_await client->exec(words("EXISTS", limiter->key()), clock_type::now() + 2s);
    REQUIRE(stored);
    CHECK(stored->integer == 1);
    client->stop();
    admin->stop();
    limiter.reset();
  });
}

TEST_CASE("redis AUTH refused: wrong, missing or under-privileged credentials fail at once, typed, without the password", "[redis]") {
  redis_server server(password_server());
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    struct refused_case {
      std::string url;
      codex::errc code;
      std::string says;
    };
    const std::vector<refused_case> cases = {
        {url_with(server, std::string("codex:not-") + worker_password), codex::errc::credentials_rejected, "user 'codex'"},
        {url_with(server, std::string(":") + worker_password), codex::errc::credentials_rejected, "WRONGPASS"},
        {server.url(), codex::errc::credentials_rejected, "NOAUTH"},
        {url_with(server, std::string("reader:") + worker_password), codex::errc::permission_denied, "NOPERM"},
    };
    for (const auto& c : cases) {
      INFO(c.says);
      for (const auto policy : {when_redis_unavailable::wait, when_redis_unavailable::local_fallback}) {
        auto options = limiter_options(c.url);
        options.when_unavailable = policy;
        auto limiter = std::make_unique<redis_limiter>(ex, options, fast, "sha256:refused");
        // Twice: the first meets the refusal on the wire, the second is refused at once.
        for (int attempt = 0; attempt < 2; ++attempt) {
          // A fallback limiter may hand out local slots until the first refusal is known.
          auto slot = co_await limiter->acquire(clock_type::now() + 10s);
          for (int i = 0; i < 100 && slot && policy == when_redis_unavailable::local_fallback; ++i) {
            co_await codex::test::sleep_for(5ms);
            slot = co_await limiter->acquire(clock_type::now() + 10s);
          }
          REQUIRE(!slot);
          CHECK(slot.code() == c.code);  // not errc::timeout: no waiting for the 10 s deadline
          CHECK(slot.error().message.find(c.says) != std::string::npos);
          CHECK(!holds_secret(slot.error().describe()));
        }
        limiter.reset();
      }
    }
  });
}

TEST_CASE("redis AUTH: the password from CODEX_LIMITER_PASSWORD; a user without any password is refused up front", "[redis]") {
  redis_server server(password_server());
  ::setenv("CODEX_LIMITER_PASSWORD", worker_password, 1);
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto limiter = std::make_unique<redis_limiter>(ex, limiter_options(url_with(server, "codex")), fast, "sha256:env");
    auto slot = co_await limiter->acquire(clock_type::now() + 5s);
    REQUIRE(slot);
    limiter.reset();
  });
  ::unsetenv("CODEX_LIMITER_PASSWORD");
  asio::io_context io;
  try {
    redis_limiter limiter(io.get_executor(), limiter_options(url_with(server, "codex")), fast, "sha256:env");
    FAIL("a user with no password was accepted");
  } catch (const codex::error& e) {
    CHECK(e.code() == codex::errc::invalid_argument);
    CHECK(std::string(e.what()).find("CODEX_LIMITER_PASSWORD") != std::string::npos);
  }
}

TEST_CASE("redis AUTH through the client: calls succeed, a wrong password is the call's typed error", "[redis]") {
  redis_server server(password_server());
  codex::test::temp_dir dir("codex-redis-auth");
  std::filesystem::create_directories(dir.path / "state");
  emu::emulator emulator(emu::emulator_options{.state_dir = dir.path / "state", .threads = 1});
  emulator.start();
  codex::config cfg;
  cfg.base_url = emulator.base_url();
  cfg.credentials = codex::api_key_credentials{.key = codex::secret(emulator.credentials().api_key)};
  cfg.transport.tls.ca_file = emulator.ca_file().string();
  cfg.rate_limit = rate_limit{.limit = 600, .period = 60s, .burst = 1};
  cfg.timeout = 5s;
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cfg.limiter = limiter_options(url_with(server, std::string("codex:") + worker_password));
    codex::client good(ex, cfg);
    auto account = co_await good.try_account();
    CHECK(account);
    cfg.limiter = limiter_options(url_with(server, "codex:wrong"));
    codex::client bad(ex, cfg);
    auto refused = co_await bad.try_account();
    REQUIRE(!refused);
    CHECK(refused.code() == codex::errc::credentials_rejected);
    CHECK(refused.error().describe().find("refused the password of user 'codex'") != std::string::npos);
    CHECK(refused.error().describe().find("wrong") == std::string::npos);
  });
  emulator.stop();
}

namespace {

/// A limiter for a TLS server, with the URL's query given as parse_limiter_url reads it.
redis_limiter_options tls_limiter(const std::string& url_and_query) {
  auto parsed = parse_limiter_url(url_and_query);
  REQUIRE(parsed);
  auto options = std::get<redis_limiter_options>(std::move(*parsed));
  options.reply_timeout = 1s;
  options.connect_timeout = 2s;
  options.reconnect_min = 10ms;
  options.reconnect_max = 200ms;
  return options;
}

/// The first acquire's outcome (deadline 10 s: a refusal must come long before).
codex::result<slot> first_slot(const redis_limiter_options& options) {
  std::optional<codex::result<slot>> out;
  codex::test::run_coroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto limiter = std::make_unique<redis_limiter>(ex, options, fast, "sha256:tls");
    out = co_await limiter->acquire(clock_type::now() + 10s);
    if (*out) out = co_await limiter->acquire(clock_type::now() + 10s);  // the connection is reused
    limiter.reset();
  });
  return std::move(*out);
}

/// Whether "localhost" resolves, among others, to 127.0.0.1 (where the server listens).
bool localhost_is_loopback_v4() {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo("localhost", nullptr, &hints, &found) != 0) return false;
  bool loopback = false;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next)
    loopback = loopback || reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  ::freeaddrinfo(found);
  return loopback;
}

}  // namespace

TEST_CASE("rediss://: verified TLS with the URL's CA and a password; wrong CA, system store, other host: typed at once", "[redis]") {
  auto options = password_server();
  options.tls = true;
  redis_server server(options);
  const std::string base = url_with(server, std::string("codex:") + worker_password);
  REQUIRE(base.starts_with("rediss://"));

  auto ok = first_slot(tls_limiter(base + "?ca_file=" + server.ca_file()));
  INFO((ok ? std::string("ok") : ok.error().describe()));
  CHECK(ok);
  // By DNS name: SNI "localhost" and the certificate's DNS entry. A bare root may have
  // no /etc/hosts (no name resolves there): the check needs "localhost" to be 127.0.0.1.
  if (localhost_is_loopback_v4()) {
    std::string by_name = base;
    by_name.replace(by_name.find("127.0.0.1"), 9, "localhost");
    CHECK(first_slot(tls_limiter(by_name + "?ca_file=" + server.ca_file())));
  } else {
    WARN("\"localhost\" does not resolve to 127.0.0.1 here: the check by host name is not run");
  }

  codex::test::temp_dir other("codex-redis-other-ca");
  const auto other_ca = (other.path / "ca.pem").string();
  emu::pki::write_file_atomically(other_ca, emu::pki::authority("some other CA").certificate_pem());
  for (const auto& trust : {"?ca_file=" + other_ca, std::string()}) {  // another CA; the system store
    INFO("trust: " << trust);
    auto refused = first_slot(tls_limiter(base + trust));
    REQUIRE(!refused);
    CHECK(refused.code() == codex::errc::certificate_rejected);
    CHECK(refused.error().message.find("TLS handshake failed") != std::string::npos);
    CHECK(!holds_secret(refused.error().describe()));
  }

  auto missing = tls_limiter(base + "?ca_file=" + (other.path / "none.pem").string());
  asio::io_context io;
  CHECK_THROWS_AS(redis_limiter(io.get_executor(), missing, fast, "sha256:tls"), codex::error);
}

TEST_CASE("rediss://: a certificate for another host is host_name_mismatch", "[redis]") {
  redis_server server(redis_server::options{.tls = true, .tls_names = {.dns = {"redis.example"}}});
  auto refused = first_slot(tls_limiter(server.url() + "?ca_file=" + server.ca_file()));
  REQUIRE(!refused);
  CHECK(refused.code() == codex::errc::host_name_mismatch);
}

TEST_CASE("rediss://: a client certificate when Redis asks for one; none is client_certificate_rejected", "[redis]") {
  redis_server server(redis_server::options{.tls = true, .require_client_certificate = true});
  const auto [cert, key] = server.client_certificate();
  const std::string trust = server.url() + "?ca_file=" + server.ca_file();
  auto ok = first_slot(tls_limiter(trust + "&cert=" + cert + "&key=" + key));
  INFO((ok ? std::string("ok") : ok.error().describe()));
  CHECK(ok);
  auto refused = first_slot(tls_limiter(trust));
  REQUIRE(!refused);
  CHECK(refused.code() == codex::errc::client_certificate_rejected);
}
