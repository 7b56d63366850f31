#pragma once
// An https base URL split into what the transport needs, and query/path encoding.

#include <codex/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace codex::net {

/// A parsed base URL: `https://host[:port][/path/prefix]`. Only https is accepted:
/// anything else is refused at parse time, before a socket can exist.
struct url {
  std::string host;         ///< a DNS name, an IPv4 literal or an IPv6 literal without brackets
  std::uint16_t port = 443;  ///< the TCP port; 443 when the URL names none
  std::string path_prefix;  ///< "" or "/api/v1" — never a trailing slash

  /// Parses a base URL. Errors: errc::unsupported_scheme for a non-https scheme,
  /// errc::invalid_url for anything malformed (userinfo, fragment, bad port, empty host,
  /// a path character outside RFC 3986 — blanks and control characters among them — or a
  /// '%' not followed by two hex digits).
  static result<url> parse(std::string_view text);

  /// True when host is an IPv4 or IPv6 literal (no SNI is sent for those).
  bool host_is_ip() const noexcept;
  /// The Host header value: host, bracketed if IPv6, with ":port" unless 443.
  std::string authority() const;
  /// "https://" + authority() + path_prefix.
  std::string to_string() const;
  /// path_prefix + path; `path` must begin with '/'.
  std::string target(std::string_view path) const;
};

/// Percent-encodes everything but RFC 3986 unreserved characters: for one path
/// segment or one query key/value.
std::string percent_encode(std::string_view raw);
/// percent_encode(raw) appended to `out`.
void append_percent_encoded(std::string& out, std::string_view raw);

/// Appends `key=value` to a target, with '?' or '&' as needed, both percent-encoded.
void append_query(std::string& target, std::string_view key, std::string_view value);

}  // namespace codex::net
