#pragma once
// The auth stage: stamps each attempt with the client's credentials.

#include "call/pipeline.hpp"
#include "limit/limiter_backend.hpp"

#include <codex/config.hpp>
#include <codex/net/transport.hpp>
#include <codex/net/url.hpp>

#include <memory>

namespace codex::call {

/// Removes a header after cleansing its value's memory (credentials only live as long
/// as the attempt that needs them).
void wipe_header(net::header_list& headers, std::string_view name);

/// The stage for `cfg.credentials`:
///  - API key: Basic or X-API-Key on every attempt; a 401 is final.
///  - fixed access token: Bearer on every attempt; a 401 is final (it cannot be renewed).
///  - client credentials: Bearer from the shared token cache; a 401 invalidates that
///    token (if still current), refreshes once and resends once.
///  - anonymous: passes through.
/// `next` is the rest of the pipeline (limiter → transport). The token endpoint's
/// requests take their own limiter → transport path over the same `limiter` and
/// `transport` (shared, because a background refresh may outlive the call — and the
/// client — that started it): they count against the credential's limit, as the
/// contract says.
std::unique_ptr<stage> make_auth_stage(const config& cfg, const net::url& base, stage& next,
                                       std::shared_ptr<net::transport> transport,
                                       std::shared_ptr<limit::limiter_backend> limiter);

}  // namespace codex::call
