#pragma once
// The core SDK's one way to a Redis limiter. The Redis client and limiter live in
// their own library, codex_redis (hiredis is its dependency, not the core's); when it
// is linked in, it installs its maker here as the program starts. Without it (a build
// with -Dredis=disabled), asking for a Redis limiter is a typed error.

#include "limit/limiter_backend.hpp"

#include <codex/limit/limiter_options.hpp>
#include <codex/limit/rate.hpp>
#include <codex/result.hpp>

#include <asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace codex::limit {

using redis_limiter_maker = std::shared_ptr<limiter_backend> (*)(const asio::any_io_executor& executor,
                                                                const redis_limiter_options& options,
                                                                const rate_limit& rate, const std::string& identity);

/// Called by codex_redis during static initialisation. Thread-safe.
void install_redis_limiter_maker(redis_limiter_maker maker) noexcept;

/// A Redis limiter for `identity`. Errors: errc::not_supported when codex_redis is not
/// in the program (built without it, or a static link that dropped it: see -u in
/// src/meson.build); what the maker throws (codex::error for an unusable CA or client key).
result<std::shared_ptr<limiter_backend>> make_redis_limiter(const asio::any_io_executor& executor,
                                                            const redis_limiter_options& options, const rate_limit& rate,
                                                            const std::string& identity);

}  // namespace codex::limit
