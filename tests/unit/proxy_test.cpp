// codex::net proxy rules: the proxy URL, curl's NO_PROXY matching, the route of an
// origin, the CONNECT request and what the proxy's status means — with no socket.

#include "net/proxy.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using codex::errc;
using namespace codex::net;

namespace {

url origin(const char* text) { return url::parse(text).value(); }

/// Sets (or, with nullptr, unsets) one environment variable for a test's duration.
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~scoped_env() { old_.empty() ? ::unsetenv(name_) : ::setenv(name_, old_.c_str(), 1); }
  const char* name_;
  std::string old_;
};

}  // namespace

TEST_CASE("proxy url: host, port, credentials; http only", "[proxy]") {
  auto p = parse_proxy_url("http://user:p%40ss%3Aword@Proxy.Example:3128/");
  REQUIRE(p);
  CHECK(p->host == "proxy.example");
  CHECK(p->port == 3128);
  CHECK(p->username == "user");
  CHECK(p->password.reveal() == "p@ss:word");

  auto bare = parse_proxy_url("10.0.0.1");  // no scheme: http://, as curl; curl's default port
  REQUIRE(bare);
  CHECK(bare->host == "10.0.0.1");
  CHECK(bare->port == 1080);
  CHECK(bare->username.empty());
  auto v6 = parse_proxy_url("http://[::1]:8080");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);

  CHECK(parse_proxy_url("https://proxy:443").error().code == errc::unsupported_scheme);
  CHECK(parse_proxy_url("socks5://proxy:1080").error().code == errc::unsupported_scheme);
  CHECK(parse_proxy_url("http://proxy:0").error().code == errc::invalid_url);
  CHECK(parse_proxy_url("http://proxy:3128/path").error().code == errc::invalid_url);
  CHECK(parse_proxy_url("http://").error().code == errc::invalid_url);
}

TEST_CASE("proxy url: no error message holds the credentials", "[proxy]") {
  for (const char* text : {"http://user:hunter2@proxy:99999", "http://user:hunter2%zz@proxy:3128",
                           "http://user:hunter2@bad host:3128", "http://user:hunter2@proxy:3128/x",
                           "user:hunter2://proxy"}) {
    auto p = parse_proxy_url(text);
    INFO(text);
    REQUIRE_FALSE(p);
    CHECK(p.error().message.find("hunter2") == std::string::npos);
  }
}

TEST_CASE("no_proxy: names, domain suffixes, case, ports, *", "[proxy]") {
  CHECK(bypasses_proxy("example.com", "example.com"));
  CHECK(bypasses_proxy("example.com", "api.example.com"));
  CHECK(bypasses_proxy(".example.com", "api.example.com"));
  CHECK(bypasses_proxy(".example.com", "example.com"));
  CHECK_FALSE(bypasses_proxy("example.com", "badexample.com"));
  CHECK_FALSE(bypasses_proxy("api.example.com", "example.com"));
  CHECK(bypasses_proxy("EXAMPLE.com", "Api.Example.COM"));
  CHECK(bypasses_proxy("example.com.", "api.example.com."));
  CHECK(bypasses_proxy("localhost, internal:8443 ,example.com", "internal"));
  CHECK(bypasses_proxy("a.test,,b.test", "b.test"));
  CHECK(bypasses_proxy("*", "anything.example"));
  CHECK(bypasses_proxy("a.test,*", "anything.example"));
  CHECK_FALSE(bypasses_proxy("", "example.com"));
  CHECK_FALSE(bypasses_proxy(" , ", "example.com"));
  CHECK_FALSE(bypasses_proxy(".", "example.com"));
}

TEST_CASE("no_proxy: IP addresses and CIDR ranges, never by name suffix", "[proxy]") {
  CHECK(bypasses_proxy("127.0.0.1", "127.0.0.1"));
  CHECK(bypasses_proxy("127.0.0.1:8443", "127.0.0.1"));
  CHECK_FALSE(bypasses_proxy("127.0.0.1", "127.0.0.2"));
  CHECK_FALSE(bypasses_proxy("0.0.1", "127.0.0.1"));  // a name suffix never matches an IP
  CHECK(bypasses_proxy("10.0.0.0/8", "10.20.30.40"));
  CHECK_FALSE(bypasses_proxy("10.0.0.0/8", "11.0.0.1"));
  CHECK(bypasses_proxy("192.168.1.0/25", "192.168.1.127"));
  CHECK_FALSE(bypasses_proxy("192.168.1.0/25", "192.168.1.128"));
  CHECK(bypasses_proxy("0.0.0.0/0", "8.8.8.8"));
  CHECK_FALSE(bypasses_proxy("10.0.0.0/33", "10.0.0.1"));
  CHECK(bypasses_proxy("::1", "::1"));
  CHECK(bypasses_proxy("[::1]:443", "::1"));
  CHECK(bypasses_proxy("fd00::/8", "fd12:3456::1"));
  CHECK_FALSE(bypasses_proxy("fd00::/8", "fe80::1"));
  CHECK_FALSE(bypasses_proxy("127.0.0.1", "::1"));  // families do not mix
  CHECK_FALSE(bypasses_proxy("127.0.0.1", "localhost"));  // names are not resolved
}

TEST_CASE("route: direct without a proxy or when no_proxy names the origin", "[proxy]") {
  const url api = origin("https://api.codex.dev/v1");
  CHECK_FALSE(route_for({}, api).value().has_value());
  proxy_options options{.url = "http://proxy.corp:3128", .username = {}, .password = {}, .no_proxy = ".codex.dev"};
  CHECK_FALSE(route_for(options, api).value().has_value());
  options.no_proxy = "other.dev";
  auto route = route_for(options, api).value();
  REQUIRE(route);
  CHECK(route->host == "proxy.corp");
  CHECK(route->port == 3128);
  CHECK_FALSE(route->host_is_ip);
  CHECK(route->authority == "proxy.corp:3128");
  CHECK(route->authorization.empty());
  options.url = "ftp://proxy";
  CHECK(route_for(options, api).error().code == errc::unsupported_scheme);
}

TEST_CASE("route: Basic credentials, the options' own before the URL's", "[proxy]") {
  const url api = origin("https://api.codex.dev");
  proxy_options options{.url = "http://alice:open%20sesame@[::1]:8080", .username = {}, .password = {}, .no_proxy = {}};
  auto route = route_for(options, api).value();
  REQUIRE(route);
  CHECK(route->host_is_ip);
  CHECK(route->authority == "[::1]:8080");
  CHECK(route->authorization.reveal() == "Basic YWxpY2U6b3BlbiBzZXNhbWU=");  // alice:open sesame
  options.username = "bob";
  options.password = codex::auth::secret("pw");
  CHECK(route_for(options, api).value()->authorization.reveal() == "Basic Ym9iOnB3");
}

TEST_CASE("CONNECT request: the origin with its port, Host, Proxy-Authorization", "[proxy]") {
  proxy_options options{.url = "http://proxy:3128", .username = "u", .password = codex::auth::secret("p"), .no_proxy = {}};
  const url api = origin("https://api.codex.dev/v1");
  auto route = route_for(options, api).value().value();
  std::string out;
  append_connect_request(api, route, out);
  CHECK(out == "CONNECT api.codex.dev:443 HTTP/1.1\r\nHost: api.codex.dev:443\r\n"
               "Proxy-Authorization: Basic dTpw\r\n\r\n");
  route.authorization = {};
  out.clear();
  append_connect_request(origin("https://[::1]:8443"), route, out);
  CHECK(out == "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
}

TEST_CASE("CONNECT status: 2xx opens the tunnel; 407 and others are typed, named, never the password", "[proxy]") {
  proxy_options options{.url = "http://proxy:3128", .username = "u", .password = codex::auth::secret("hunter2"), .no_proxy = {}};
  const url api = origin("https://api.codex.dev");
  const auto route = route_for(options, api).value().value();
  CHECK(check_connect_status(200, route, api));
  CHECK(check_connect_status(204, route, api));
  auto auth = check_connect_status(407, route, api);
  REQUIRE_FALSE(auth);
  CHECK(auth.error().code == errc::proxy_auth_required);
  CHECK(auth.error().message.find("proxy:3128") != std::string::npos);
  CHECK(auth.error().message.find("refused") != std::string::npos);
  CHECK(check_connect_status(401, route, api).error().code == errc::proxy_auth_required);  // tinyproxy, wrong credentials
  for (int status : {403, 502, 503, 301}) {
    auto refused = check_connect_status(status, route, api);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::proxy_refused);
    CHECK(refused.error().message.find("HTTP " + std::to_string(status)) != std::string::npos);
    CHECK(refused.error().message.find("hunter2") == std::string::npos);
    CHECK(refused.error().message.find("api.codex.dev") != std::string::npos);
  }
  CHECK(auth.error().message.find("hunter2") == std::string::npos);
}

TEST_CASE("proxy_options: from_url moves the credentials out; from_env reads curl's variables", "[proxy]") {
  auto options = proxy_options::from_url("http://me:secret@proxy:3128", "localhost");
  REQUIRE(options);
  CHECK(options->url == "http://proxy:3128");
  CHECK(options->username == "me");
  CHECK(options->password.reveal() == "secret");
  CHECK(options->no_proxy == "localhost");

  scoped_env lower_proxy("https_proxy", nullptr), upper_proxy("HTTPS_PROXY", "http://upper:1"),
      lower_none("no_proxy", nullptr), upper_none("NO_PROXY", ".corp");
  auto upper = proxy_options::from_env();
  REQUIRE(upper);
  CHECK(upper->url == "http://upper:1");
  CHECK(upper->no_proxy == ".corp");
  {
    scoped_env lower("https_proxy", "http://lower:2");  // curl reads the lower-case name first
    CHECK(proxy_options::from_env().value().url == "http://lower:2");
  }
  {
    scoped_env bad("https_proxy", "socks5://x:y@proxy");
    auto refused = proxy_options::from_env();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::unsupported_scheme);
    CHECK(refused.error().message.find("HTTPS_PROXY") != std::string::npos);
  }
  scoped_env none("HTTPS_PROXY", nullptr);
  auto direct = proxy_options::from_env();
  REQUIRE(direct);
  CHECK(direct->url.empty());
  CHECK(direct->no_proxy == ".corp");
}
