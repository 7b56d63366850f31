#pragma once
// The credentials a client can use: an API key, a client credential exchanged for
// Bearer tokens, a token obtained elsewhere, or none. Plain aggregates (the option
// types of codex::config), in a header of their own so that the layers below the
// client (the call path, the token fetch) need not include the whole configuration.

#include <codex/auth/secret.hpp>

#include <string>
#include <variant>

namespace codex {

/// A credential string that never prints (see auth::secret).
using secret = auth::secret;

/// How an API key travels. Default: Basic, the standard scheme (RFC 7617: the key as
/// user name, an empty password); X-API-Key is equivalent for the service.
enum class api_key_scheme { basic, header };

/// An API key (`cdx_…`).
struct api_key_credentials {
  secret key;                                     ///< the key, `cdx_…`; no CR, LF or other control character (the client refuses it)
  api_key_scheme scheme = api_key_scheme::basic;  ///< how the key is sent; default Basic
};

/// A client credential, exchanged for Bearer tokens at POST /auth/token.
struct client_credentials {
  std::string client_id;  ///< the client's public id
  secret client_secret;   ///< the client's secret, sent only to POST /auth/token
  std::string scope;  ///< e.g. "read write"; empty: everything the project allows
};

/// A Bearer token obtained elsewhere; it is used as is and never refreshed.
struct access_token_credentials {
  secret token;  ///< sent as `Authorization: Bearer …`; no CR, LF or other control character (the client refuses it)
};

/// No credentials: public documents only.
struct anonymous_credentials {};

/// Which credentials a client uses (config::credentials). Default: anonymous.
using credentials =
    std::variant<anonymous_credentials, api_key_credentials, client_credentials, access_token_credentials>;

}  // namespace codex
