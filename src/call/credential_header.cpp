#include "call/credential_header.hpp"

#include "auth/base64.hpp"

#include <openssl/crypto.h>

#include <type_traits>
#include <variant>

namespace codex::call {
namespace {

secret basic_authorization(const secret& key) {
  // RFC 7617: base64("user:password") with the key as user and an empty password.
  std::string plain(key.reveal());
  plain.push_back(':');
  std::string encoded = auth::base64_encode(plain);
  secret header(std::string("Basic ") + encoded);
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return header;
}

}  // namespace

std::optional<credential_header> fixed_credential_header(const credentials& creds) {
  return std::visit(
      [](const auto& c) -> std::optional<credential_header> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, api_key_credentials>) {
          if (c.scheme == api_key_scheme::header) return credential_header{"X-API-Key", c.key};
          return credential_header{"Authorization", basic_authorization(c.key)};
        } else if constexpr (std::is_same_v<T, access_token_credentials>) {
          return credential_header{"Authorization", secret(std::string("Bearer ") + std::string(c.token.reveal()))};
        } else {
          return std::nullopt;
        }
      },
      creds);
}

void wipe_header(net::header_list& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (net::iequals(field, name)) OPENSSL_cleanse(const_cast<char*>(value.data()), value.size());
  }
  headers.erase(name);
}

}  // namespace codex::call
