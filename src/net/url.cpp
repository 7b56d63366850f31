#include <codex/net/url.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace codex::net {
namespace {

error_info url_error(errc code, std::string message) {
  return error_info{.code = make_error_code(code), .message = std::move(message)};
}

bool is_ipv4(const std::string& host) {
  in_addr addr{};
  return ::inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// RFC 3986 unreserved characters, as a table: every byte of every id in every path
// is looked up here.
constexpr std::array<bool, 256> unreserved = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  return t;
}();

bool is_unreserved(unsigned char c) { return unreserved[c]; }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986 path characters: pchar and '/', with every '%' starting a %XX. The prefix is
// written into every request line as it is, so a blank or a CR/LF in it would split the
// request (found by fuzz/url); anything else a server may read differently than we do.
bool valid_path(std::string_view path) {
  constexpr std::string_view allowed = "/!$&'()*+,;=:@";
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(static_cast<unsigned char>(c)) && allowed.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

result<url> url::parse(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return url_error(errc::invalid_url, "a base URL needs a scheme, e.g. https://host");
  std::string scheme(text.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  // The scheme is checked first: an http:// URL must be refused whatever else it holds.
  if (scheme != "https") return url_error(errc::unsupported_scheme, "only https URLs are allowed, not " + scheme + "://");

  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return url_error(errc::invalid_url, "a base URL takes no query or fragment");
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos)
    return url_error(errc::invalid_url, "credentials in the URL are not allowed; configure them separately");

  url out;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return url_error(errc::invalid_url, "unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    if (!is_ipv6(out.host)) return url_error(errc::invalid_url, "invalid IPv6 literal");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return url_error(errc::invalid_url, "unexpected text after IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (!std::all_of(out.host.begin(), out.host.end(), valid_host_char))
      return url_error(errc::invalid_url, "invalid character in host name");
    std::transform(out.host.begin(), out.host.end(), out.host.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  if (out.host.empty()) return url_error(errc::invalid_url, "a base URL needs a host");

  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return url_error(errc::invalid_url, "invalid port");
    out.port = static_cast<std::uint16_t>(value);
  } else if (authority.ends_with(':')) {
    return url_error(errc::invalid_url, "empty port");
  }

  if (!valid_path(path))
    return url_error(errc::invalid_url, "invalid character in the path (use %XX for anything outside RFC 3986)");
  while (path.ends_with('/')) path.remove_suffix(1);
  out.path_prefix = std::string(path);
  return out;
}

bool url::host_is_ip() const noexcept { return is_ipv4(host) || is_ipv6(host); }

std::string url::authority() const {
  // Appended piece by piece: "[" + host + "]" draws a false -Wrestrict from g++ 12 at -O3.
  std::string out;
  if (host.find(':') != std::string::npos) {
    out.append("[").append(host).append("]");
  } else {
    out = host;
  }
  if (port != 443) out.append(":").append(std::to_string(port));
  return out;
}

std::string url::to_string() const { return "https://" + authority() + path_prefix; }

std::string url::target(std::string_view path) const {
  std::string out;
  out.reserve(path_prefix.size() + path.size());
  out += path_prefix;
  out += path;
  return out;
}

std::string percent_encode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  append_percent_encoded(out, raw);
  return out;
}

void append_percent_encoded(std::string& out, std::string_view raw) {
  static constexpr char hex[] = "0123456789ABCDEF";
  // Ids and cursors are usually unreserved throughout: copied in one append.
  const auto plain = std::find_if_not(raw.begin(), raw.end(), [](char c) { return is_unreserved(static_cast<unsigned char>(c)); });
  out.append(raw.begin(), plain);
  raw.remove_prefix(static_cast<std::size_t>(plain - raw.begin()));
  for (unsigned char c : raw) {
    if (is_unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
}

void append_query(std::string& target, std::string_view key, std::string_view value) {
  target.push_back(target.find('?') == std::string::npos ? '?' : '&');
  append_percent_encoded(target, key);
  target.push_back('=');
  append_percent_encoded(target, value);
}

}  // namespace codex::net
