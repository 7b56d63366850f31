#pragma once
// The header a fixed credential is sent in (an API key as Basic or X-API-Key, an
// access token the caller gave), built once per client; and the wipe of a header's
// value, so that no copy of a credential outlives the attempt that sent it.

#include <codex/auth/credentials.hpp>
#include <codex/auth/secret.hpp>
#include <codex/net/http_message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace codex::call {

struct credential_header {
  std::string name;  ///< "Authorization" or "X-API-Key"
  auth::secret value;  ///< "Basic …", "Bearer …" or the key itself
};

/// The header for an API key or a given access token; nullopt for client credentials
/// (their Bearer token changes: see bearer_tokens) and anonymous calls.
std::optional<credential_header> fixed_credential_header(const credentials& creds);

/// Removes every field of that name after cleansing its value's memory.
void wipe_header(net::header_list& headers, std::string_view name);

}  // namespace codex::call
