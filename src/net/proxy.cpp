#include "net/proxy.hpp"

#include "auth/base64.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace codex::net {
namespace {

error_info proxy_error(errc code, std::string message) {
  return error_info{.code = make_error_code(code), .message = std::move(message)};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

/// Whether an authority ("host", "host:port", "[v6]", "[v6]:port") names a port.
bool has_port(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    return close != std::string_view::npos && close + 1 < authority.size();
  }
  return authority.find(':') != std::string_view::npos;
}

/// An IP address in network byte order, or nothing.
struct ip_address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  std::size_t size() const noexcept { return family == AF_INET ? 4 : 16; }
};

std::optional<ip_address> parse_ip(std::string_view text) {
  const std::string copy(text);  // inet_pton wants a terminated string
  ip_address ip;
  if (::inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
  } else if (::inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return ip;
}

/// `entry` is an IP, or an IP/bits range: does it hold `host`?
bool ip_entry_matches(std::string_view entry, const ip_address& host) {
  const auto slash = entry.find('/');
  const auto network = parse_ip(entry.substr(0, slash));
  if (!network || network->family != host.family) return false;
  std::size_t bits = host.size() * 8;
  if (slash != std::string_view::npos) {
    const std::string_view text = entry.substr(slash + 1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
    if (ec != std::errc{} || end != text.data() + text.size() || bits > host.size() * 8) return false;
  }
  const std::size_t whole = bits / 8;
  if (std::memcmp(network->bytes.data(), host.bytes.data(), whole) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - bits % 8));
  return (network->bytes[whole] & mask) == (host.bytes[whole] & mask);
}

/// An entry without its optional port: "[v6]:port" → "v6", "name:port" → "name"; an
/// entry with several colons and no brackets is an IPv6 literal and stays whole.
std::string_view without_port(std::string_view entry) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    return close == std::string_view::npos ? entry : entry.substr(1, close - 1);
  }
  if (std::count(entry.begin(), entry.end(), ':') == 1) return entry.substr(0, entry.find(':'));
  return entry;
}

bool name_entry_matches(std::string_view entry, std::string_view host) {
  while (entry.starts_with('.')) entry.remove_prefix(1);
  while (entry.ends_with('.')) entry.remove_suffix(1);
  if (entry.empty()) return false;
  if (host == entry) return true;
  return host.size() > entry.size() && host.ends_with(entry) && host[host.size() - entry.size() - 1] == '.';
}

}  // namespace

result<proxy_url> parse_proxy_url(std::string_view text) {
  std::string_view rest = text;
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = lower(text.substr(0, scheme_end));
    if (scheme != "http") {
      // Named only when it looks like a scheme: text before "://" could be anything.
      const bool plain = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '-' || c == '.';
      });
      return proxy_error(errc::unsupported_scheme, "only http:// proxies are supported (CONNECT), not " +
                                                       (plain ? scheme + "://" : std::string("that scheme")));
    }
    rest = text.substr(scheme_end + 3);
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return proxy_error(errc::invalid_url, "a proxy URL takes no path, query or fragment");

  proxy_url out;
  std::string_view authority = rest;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    authority = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password = percent_decode(colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1));
    if (!user || !password) return proxy_error(errc::invalid_url, "malformed percent-encoding in the proxy's credentials");
    out.username = std::move(*user);
    out.password = auth::secret(std::move(*password));
  }
  // The host and port rules are the base URL's (IPv6 brackets, host characters, range).
  auto parsed = url::parse("https://" + std::string(authority));
  if (!parsed) return proxy_error(errc::invalid_url, "invalid proxy URL: " + parsed.error().message);
  out.host = std::move(parsed->host);
  out.port = has_port(authority) ? parsed->port : std::uint16_t{1080};
  return out;
}

bool bypasses_proxy(std::string_view no_proxy, std::string_view host) {
  std::string name = lower(host);
  while (name.ends_with('.')) name.pop_back();
  const auto host_ip = parse_ip(name);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    const std::string_view raw = trim(no_proxy.substr(0, comma));
    no_proxy.remove_prefix(comma == std::string_view::npos ? no_proxy.size() : comma + 1);
    if (raw == "*") return true;
    const std::string entry = lower(without_port(raw));
    if (entry.empty()) continue;
    if (host_ip ? ip_entry_matches(entry, *host_ip) : name_entry_matches(entry, name)) return true;
  }
  return false;
}

result<std::optional<proxy_route>> route_for(const proxy_options& options, const url& origin) {
  if (options.url.empty() || bypasses_proxy(options.no_proxy, origin.host)) return std::optional<proxy_route>{};
  auto parsed = parse_proxy_url(options.url);
  if (!parsed) return std::move(parsed).error();
  proxy_route route;
  route.host = std::move(parsed->host);
  route.port = parsed->port;
  route.host_is_ip = parse_ip(route.host).has_value();
  route.authority = (route.host.find(':') != std::string::npos ? "[" + route.host + "]" : route.host) + ":" +
                    std::to_string(route.port);
  // The options' own credentials win over those written in the URL.
  const bool own = !options.username.empty();
  const std::string_view user = own ? std::string_view(options.username) : std::string_view(parsed->username);
  const std::string_view password = own ? options.password.reveal() : parsed->password.reveal();
  if (!user.empty()) {
    std::string pair;
    pair.append(user).append(":").append(password);
    route.authorization = auth::secret("Basic " + auth::base64_encode(pair));
    OPENSSL_cleanse(pair.data(), pair.size());
  }
  return std::optional<proxy_route>(std::move(route));
}

void append_connect_request(const url& origin, const proxy_route& route, std::string& out) {
  // RFC 9110 §9.3.6: the target is the authority form, host and port, always with the port.
  std::string target = origin.host.find(':') != std::string::npos ? "[" + origin.host + "]" : origin.host;
  target.append(":").append(std::to_string(origin.port));
  out.append("CONNECT ").append(target).append(" HTTP/1.1\r\nHost: ").append(target).append("\r\n");
  if (!route.authorization.empty()) out.append("Proxy-Authorization: ").append(route.authorization.reveal()).append("\r\n");
  out.append("\r\n");
}

result<void> check_connect_status(int status, const proxy_route& route, const url& origin) {
  if (status >= 200 && status <= 299) return {};
  const std::string where = "proxy " + route.authority + " (tunnel to " + origin.authority() + ")";
  // 401 too: before the tunnel exists only the proxy can ask for credentials, and some
  // proxies (tinyproxy 1.11) answer wrong ones with 401 rather than 407.
  if (status == 407 || status == 401)
    return proxy_error(errc::proxy_auth_required,
                       where + ": HTTP " + std::to_string(status) + ", " + (route.authorization.empty() ? "no proxy credentials configured"
                                                                            : "the proxy credentials were refused"));
  return proxy_error(errc::proxy_refused, where + " refused the tunnel: HTTP " + std::to_string(status));
}

result<proxy_options> proxy_options::from_url(std::string_view text, std::string_view no_proxy) {
  auto parsed = parse_proxy_url(text);
  if (!parsed) return std::move(parsed).error();
  proxy_options options;
  options.url = "http://" + (parsed->host.find(':') != std::string::npos ? "[" + parsed->host + "]" : parsed->host) +
                ":" + std::to_string(parsed->port);
  options.username = std::move(parsed->username);
  options.password = std::move(parsed->password);
  options.no_proxy = std::string(no_proxy);
  return options;
}

result<proxy_options> proxy_options::from_env() {
  // curl's order: the lower-case name first.
  auto read = [](const char* first, const char* second) -> std::string_view {
    for (const char* name : {first, second})
      if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return value;
    return {};
  };
  const std::string_view proxy = read("https_proxy", "HTTPS_PROXY");
  const std::string_view no_proxy = read("no_proxy", "NO_PROXY");
  // no_proxy is kept without a proxy too: a proxy given later (codex --proxy) still honours it.
  if (proxy.empty()) return proxy_options{.url = {}, .username = {}, .password = {}, .no_proxy = std::string(no_proxy)};
  auto options = from_url(proxy, no_proxy);
  if (!options) {
    error_info failure = std::move(options).error();
    failure.message = "https_proxy / HTTPS_PROXY: " + failure.message;
    return failure;
  }
  return options;
}

}  // namespace codex::net
