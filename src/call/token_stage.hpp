#pragma once
// Bearer tokens from client credentials: a token source shared by every client of the
// same (base URL, client_id, secret) in the process, refreshed single-flight.

#include "call/pipeline.hpp"
#include "limit/limiter_backend.hpp"

#include <codex/config.hpp>
#include <codex/net/transport.hpp>
#include <codex/net/url.hpp>

#include <memory>

namespace codex::call {

/// The auth stage for client credentials (see make_auth_stage).
std::unique_ptr<stage> make_token_stage(const client_credentials& creds, const config& cfg, const net::url& base,
                                        stage& next, std::shared_ptr<net::transport> transport,
                                        std::shared_ptr<limit::limiter_backend> limiter);

}  // namespace codex::call
