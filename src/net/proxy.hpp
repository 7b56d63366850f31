#pragma once
// The HTTP proxy of a transport: its URL, the no-proxy rule that decides whether an
// origin goes through it, and the CONNECT exchange's two ends (the request head and
// what the proxy's status means). Pure functions; the connection does the I/O.

#include <codex/auth/secret.hpp>
#include <codex/net/proxy_options.hpp>
#include <codex/net/url.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::net {

/// A proxy URL taken apart: `http://[user:password@]host[:port][/]`.
struct proxy_url {
  std::string host;  ///< lower-case DNS name, or an IP literal without brackets
  std::uint16_t port = 1080;
  std::string username;
  auth::secret password;
};

/// Parses a proxy URL (no scheme means http://, as curl). The credentials are
/// percent-decoded. Errors: unsupported_scheme (https://, socks5://, …), invalid_url;
/// messages never hold the credentials.
result<proxy_url> parse_proxy_url(std::string_view text);

/// Whether `host` (a url::host: a lower-case name or an IP literal without brackets)
/// is reached directly under the NO_PROXY list `no_proxy` (see proxy_options::no_proxy).
/// A name matches an entry equal to it or to one of its parent domains; an IP matches
/// an equal IP or a CIDR range holding it (names never match IPs, nor IPs names).
bool bypasses_proxy(std::string_view no_proxy, std::string_view host);

/// How a transport's connections reach the proxy, made once per transport.
struct proxy_route {
  std::string host;
  std::uint16_t port = 1080;
  bool host_is_ip = false;
  std::string authority;       ///< "host:port" ("[v6]:port"): what messages name
  auth::secret authorization;  ///< "Basic base64(user:password)", or empty
};

/// The route of `origin` under `options`: nullopt when it goes direct (no proxy, or
/// no_proxy names it). Errors: those of parse_proxy_url.
result<std::optional<proxy_route>> route_for(const proxy_options& options, const url& origin);

/// Appends `CONNECT host:port HTTP/1.1`, Host and — with credentials — Proxy-Authorization
/// to `out`. The origin's port is always written. `out` then holds the credential: the
/// caller wipes it once written.
void append_connect_request(const url& origin, const proxy_route& route, std::string& out);

/// What the proxy's answer to CONNECT means: success for 2xx; errc::proxy_auth_required
/// for 407 (and 401, which some proxies send for wrong credentials), errc::proxy_refused
/// for any other status, with a message naming the proxy,
/// the origin and the status.
result<void> check_connect_status(int status, const proxy_route& route, const url& origin);

}  // namespace codex::net
