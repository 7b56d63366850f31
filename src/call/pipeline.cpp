#include "call/pipeline.hpp"

#include <codex/auth/scrubber.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace codex::call {

void log_line(const call_context& context, log_level level, std::string_view text) {
  if (context.log != nullptr) context.log->on_log(level, auth::scrub(text));
}

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

asio::awaitable<std::error_code> sleep_until(clock::time_point until, clock::time_point deadline) {
  if (until > deadline) co_return make_error_code(errc::deadline_too_short);
  if (until <= clock::now()) co_return std::error_code{};
  asio::steady_timer timer(co_await asio::this_coro::executor, until);
  auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (ec) co_return make_error_code(errc::cancelled);
  co_return std::error_code{};
}

}  // namespace codex::call
