#pragma once
// GET /account: who the credentials are.

#include <string>
#include <vector>

namespace codex {

/// The project, credential and scopes behind the caller's credentials.
/// A plain value, as client::account() returns it; no field is ever a secret.
struct account {
  /// The project the credentials belong to.
  struct project_info {
    std::string id;          ///< the project's id
    std::string name;        ///< its display name
    std::string permission;  ///< "read" or "read_write"
    /// Field by field.
    friend bool operator==(const project_info&, const project_info&) = default;
  };
  /// The credential that made the call.
  struct credential_info {
    std::string type;    ///< "api_key", "client", "token", ...
    std::string id;      ///< the credential's id (an API key's or a client's), for logs and support
    std::string prefix;  ///< the credential's public prefix (never the secret)
    /// Field by field.
    friend bool operator==(const credential_info&, const credential_info&) = default;
  };
  project_info project;             ///< the project the credentials belong to
  credential_info credential;       ///< the credential that made the call
  std::vector<std::string> scopes;  ///< what the call may do: "read", and "write" when it may write
  /// Field by field.
  friend bool operator==(const account&, const account&) = default;
};

}  // namespace codex
