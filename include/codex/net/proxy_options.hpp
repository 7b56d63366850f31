#pragma once
// How the SDK reaches an origin through an HTTP proxy: a CONNECT tunnel, then TLS to
// the origin inside it (the proxy sees host and port, never the requests).

#include <codex/auth/secret.hpp>
#include <codex/result.hpp>

#include <string>
#include <string_view>

namespace codex::net {

/// An HTTP proxy for HTTPS traffic, as curl's HTTPS_PROXY. Default: none (direct).
/// Thread-safety: a plain value. Errors (from_url, from_env, and a transport built with
/// a bad `url`): errc::unsupported_scheme for a scheme other than http, errc::invalid_url
/// for anything malformed; no message ever holds the credentials.
struct proxy_options {
  /// `http://host[:port]` (port 1080 when absent, as curl). `user:password@` in it is
  /// accepted (percent-decoded, as curl does) and used when `username` is empty; prefer
  /// from_url(), which moves them into username/password. Empty: every request goes direct.
  std::string url;
  /// Basic credentials for the proxy (sent as Proxy-Authorization on the CONNECT only).
  /// Empty username: none sent.
  std::string username;
  auth::secret password;  ///< the proxy password that goes with `username` (may be empty)
  /// Hosts reached directly, in curl's NO_PROXY syntax: comma-separated host names and
  /// domains (`example.com` or `.example.com` matches it and its subdomains), IP
  /// addresses and CIDR ranges (`10.0.0.0/8`), `*` for every host; case-insensitive; a
  /// `:port` after an entry is ignored.
  std::string no_proxy;

  /// Splits `http://[user:password@]host[:port][/]` into url (without the credentials)
  /// and username/password; `no_proxy` is copied as is.
  static result<proxy_options> from_url(std::string_view text, std::string_view no_proxy = {});

  /// curl's variables: https_proxy (else HTTPS_PROXY) and no_proxy (else NO_PROXY).
  /// Neither proxy variable set (or empty): no proxy (direct), with no_proxy still read.
  static result<proxy_options> from_env();
};

}  // namespace codex::net
