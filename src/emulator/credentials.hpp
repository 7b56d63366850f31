#pragma once
// Projects and the credentials bound to them: API keys ("cdx_" + 40 hex) and client
// credentials ("cid_…" + "cs_…"). Secrets are kept only as SHA-256 hashes; a
// regeneration replaces the hash at once (the old secret gets 401) and, for a
// client, moves it to a new generation so that its earlier tokens are refused too.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace codex::emulator {

/// What a project's credentials may do.
enum class permission { read, read_write };

/// "read" / "read_write".
std::string_view to_string(permission p) noexcept;
/// Parses "read" / "read_write".
std::optional<permission> parse_permission(std::string_view text) noexcept;

struct project {
  std::string id;  ///< "prj_" + 24 hex
  std::string name;
  permission access = permission::read_write;
};

enum class credential_type { api_key, client };

/// "api_key" / "client".
std::string_view to_string(credential_type t) noexcept;

struct credential {
  std::string id;           ///< "key_…" for API keys; the client_id ("cid_…") for clients
  credential_type type = credential_type::api_key;
  std::string project_id;
  std::string secret_hash;  ///< SHA-256 hex of the API key or client secret
  std::string prefix;       ///< the first characters of the key / the client id, safe to show
  std::uint64_t generation = 0;  ///< changes at each regeneration (tokens carry it)
};

/// A credential with its secret, as shown once at creation or regeneration.
struct issued_credential {
  credential info;
  std::string secret;  ///< the API key, or the client secret
};

/// Not thread-safe: the service calls it under its state mutex.
class credential_store {
 public:
  /// Creates a project with a fresh id.
  const project& create_project(std::string name, permission access);
  /// Adds a project with a given id (seeding after reset).
  const project& insert_project(project p);

  /// Creates a credential for `project_id` with a fresh secret; nullopt if the
  /// project does not exist.
  std::optional<issued_credential> create(std::string_view project_id, credential_type type);
  /// Adds a credential with a known id and secret (seeding after reset).
  issued_credential insert(std::string id, std::string_view project_id, credential_type type, std::string secret);
  /// Replaces the secret of credential `id`; nullopt if there is no such credential.
  std::optional<issued_credential> regenerate(std::string_view id);

  /// The API key credential whose key is `key`, or nullptr.
  const credential* find_api_key(std::string_view key) const;
  /// The client credential `client_id` if `secret` matches, else nullptr.
  const credential* authenticate_client(std::string_view client_id, std::string_view secret) const;
  const credential* find(std::string_view id) const;
  const project* find_project(std::string_view id) const;

  /// Drops every project and credential. Generations keep increasing across clear()
  /// so that tokens issued before a reset stay refused.
  void clear();

 private:
  static std::string new_secret(credential_type type);
  void index(const credential& c);

  std::unordered_map<std::string, project> projects_;
  std::unordered_map<std::string, credential> credentials_;    // by id
  std::unordered_map<std::string, std::string> key_by_hash_;   // API key hash -> id
  std::uint64_t next_generation_ = 1;
};

}  // namespace codex::emulator
