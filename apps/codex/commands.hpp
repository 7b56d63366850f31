#pragma once
// The `codex` subcommands, each a coroutine that returns its exit code.

#include "cli.hpp"

#include <cstdint>
#include <string>

namespace codex::cli {

/// whoami: the project, its permission and the credential kind — never the secret.
asio::awaitable<int> whoami(client& api, bool json);

/// token: obtains an access token with the configured client credentials and prints
/// its scope and expiry; the token itself only with `show`.
asio::awaitable<int> token(client& api, bool json, bool show);

}  // namespace codex::cli
