#pragma once
// The emulator's credentials.json (api-contract.md, "Starting it").

#include <codex/auth/secret.hpp>
#include <codex/result.hpp>

#include <string>

namespace codex::json {

/// What credentials.json holds. Secrets are codex::secret from the moment they are read.
struct credentials_file {
  std::string base_url;
  std::string ca_file;
  std::string project_id;
  auth::secret api_key;
  auth::secret read_only_api_key;
  std::string client_id;
  auth::secret client_secret;
};

/// Decodes the file's text. Errors: errc::decode_error naming the field; base_url is
/// required, every other field optional.
result<credentials_file> decode_credentials_file(const std::string& text);

}  // namespace codex::json
