#include "limit/redis_endpoint.hpp"

#include <charconv>

namespace codex::limit {
namespace {

result<redis_endpoint> invalid(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// RFC 3986 percent-decoding of the URL's user or password; false on a broken escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int high = hex_value(in[i + 1]), low = hex_value(in[i + 2]);
    if (high < 0 || low < 0) return false;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

std::string percent_encode_user(std::string_view user) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : user) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  return out;
}

/// Takes "[user[:password]@]" off the front of `rest` into `out`.
std::optional<std::string> take_userinfo(std::string_view& rest, redis_endpoint& out) {
  // The last '@' ends the user information: a password may hold an unescaped '@' or '/'.
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view userinfo = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  const auto colon = userinfo.find(':');
  std::string decoded;
  if (!percent_decode(userinfo.substr(0, colon), decoded)) return "bad %-escape in the Redis user name";
  out.user = std::move(decoded);
  if (colon != std::string_view::npos) {
    const bool ok = percent_decode(userinfo.substr(colon + 1), decoded);
    out.password = auth::secret(std::move(decoded));  // wipes `decoded`
    if (!ok) return "bad %-escape in the Redis password";
  }
  return std::nullopt;
}

/// "host[:port]" or "[v6][:port]"; the port keeps its value when none is given.
std::optional<std::string> parse_host_port(std::string_view authority, std::string& host, std::uint16_t& port) {
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated [IPv6] host in the Redis URL";
    host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return "unexpected text after ] in the Redis URL";
    if (!authority.empty()) port_text = authority.substr(1);
  } else {
    const auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return "the Redis URL has no host";
  if (!port_text.empty()) {
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0)
      return "the Redis port must be a number from 1 to 65535";
  }
  return std::nullopt;
}

std::optional<std::string> parse_db(std::string_view db, unsigned& out) {
  if (db.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out);
  if (ec != std::errc{} || end != db.data() + db.size() || out > 1000000) return "the Redis database must be a number";
  return std::nullopt;
}

/// Parses "[user[:password]@]host[:port][/db]" into `out`.
result<redis_endpoint> parse_authority(std::string_view rest, redis_endpoint out) {
  if (auto bad = take_userinfo(rest, out)) return invalid(std::move(*bad));
  const auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (auto bad = parse_db(rest.substr(slash + 1), out.db)) return invalid(std::move(*bad));
  }
  if (auto bad = parse_host_port(rest.substr(0, slash), out.host, out.port)) return invalid(std::move(*bad));
  return out;
}

/// Parses "[user[:password]@]h1[:port],h2[:port]/master_name[/db]" into `out`.
result<redis_endpoint> parse_sentinel(std::string_view rest, redis_endpoint out) {
  if (auto bad = take_userinfo(rest, out)) return invalid(std::move(*bad));
  const auto slash = rest.find('/');
  std::string_view hosts = rest.substr(0, slash);
  while (!hosts.empty() || out.sentinels.empty()) {
    const auto comma = hosts.find(',');
    sentinel_address sentinel;
    if (auto bad = parse_host_port(hosts.substr(0, comma), sentinel.host, sentinel.port)) return invalid(std::move(*bad));
    out.sentinels.push_back(std::move(sentinel));
    hosts = comma == std::string_view::npos ? std::string_view{} : hosts.substr(comma + 1);
  }
  const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  const auto second = path.find('/');
  out.master_name = std::string(path.substr(0, second));
  if (out.master_name.empty()) return invalid("a redis+sentinel:// URL names the master: redis+sentinel://h1:26379,h2:26379/mymaster");
  if (second != std::string_view::npos) {
    if (auto bad = parse_db(path.substr(second + 1), out.db)) return invalid(std::move(*bad));
  }
  out.host = out.sentinels.front().host;  // replaced by the master's address at each connection
  return out;
}

}  // namespace

std::string redis_endpoint::to_string() const {
  // Built by appending: g++ 12 at -O3 warns falsely (-Wrestrict, its bug 105329) on
  // `"[" + host + "]"`, a literal plus a temporary string.
  std::string out;
  const auto append_host_port = [&out](const std::string& h, std::uint16_t p) {
    const bool ipv6 = h.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += h;
    if (ipv6) out += ']';
    out += ':';
    out += std::to_string(p);
  };
  if (is_unix()) {
    out = "unix://";
    out += path;
    return out;
  }
  out = is_sentinel() ? "redis+sentinel://" : tls ? "rediss://" : "redis://";
  if (!user.empty()) {
    out += percent_encode_user(user);
    out += '@';
  }
  if (is_sentinel()) {
    for (std::size_t i = 0; i < sentinels.size(); ++i) {
      if (i > 0) out += ',';
      append_host_port(sentinels[i].host, sentinels[i].port);
    }
    out += '/';
    out += master_name;
  } else {
    append_host_port(host, port);
  }
  out += '/';
  out += std::to_string(db);
  return out;
}

result<redis_endpoint> parse_redis_endpoint(std::string_view url) {
  redis_endpoint out;
  if (url.starts_with("unix://")) {
    out.path = std::string(url.substr(7));
    if (out.path.empty() || out.path.front() != '/') return invalid("a unix:// Redis URL needs an absolute path");
    return out;
  }
  if (url.starts_with("rediss://")) {
    out.tls = true;
    return parse_authority(url.substr(9), std::move(out));
  }
  if (url.starts_with("redis+sentinel://")) return parse_sentinel(url.substr(17), std::move(out));
  if (!url.starts_with("redis://")) return invalid("a Redis URL starts with redis://, rediss://, redis+sentinel:// or unix://");
  return parse_authority(url.substr(8), std::move(out));
}

}  // namespace codex::limit
