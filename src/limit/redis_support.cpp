#include "limit/redis_support.hpp"

#include <atomic>

namespace codex::limit {
namespace {

// Constant-initialised: codex_redis may install its maker before any other static
// of the core is made.
constinit std::atomic<redis_limiter_maker> installed_maker{nullptr};

}  // namespace

void install_redis_limiter_maker(redis_limiter_maker maker) noexcept { installed_maker.store(maker, std::memory_order_release); }

result<std::shared_ptr<limiter_backend>> make_redis_limiter(const asio::any_io_executor& executor,
                                                            const redis_limiter_options& options, const rate_limit& rate,
                                                            const std::string& identity) {
  const auto maker = installed_maker.load(std::memory_order_acquire);
  if (maker == nullptr)
    return error_info{.code = make_error_code(errc::not_supported),
                      .message = "a Redis limiter: this program has no Redis support (codex-cpp built with -Dredis=disabled "
                                 "or without hiredis, or libcodex_redis not linked in: link through pkg-config's codex "
                                 "or CMake's codex::codex, which keep it)"};
  return maker(executor, options, rate, identity);
}

}  // namespace codex::limit
