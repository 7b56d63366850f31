#pragma once
// GET /account: who the credentials are.

#include <string>
#include <vector>

namespace codex {

/// The project, credential and scopes behind the caller's credentials.
struct account {
  struct project_info {
    std::string id;
    std::string name;
    std::string permission;  ///< "read" or "read_write"
    friend bool operator==(const project_info&, const project_info&) = default;
  };
  struct credential_info {
    std::string type;    ///< "api_key", "client", "token", ...
    std::string id;
    std::string prefix;  ///< the credential's public prefix (never the secret)
    friend bool operator==(const credential_info&, const credential_info&) = default;
  };
  project_info project;
  credential_info credential;
  std::vector<std::string> scopes;
  friend bool operator==(const account&, const account&) = default;
};

}  // namespace codex
