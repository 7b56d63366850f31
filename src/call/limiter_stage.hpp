#pragma once
// Takes a slot from the credential's shared GCRA limiter before each attempt, and
// feeds what the server says about its own limit back into that limiter.

#include "call/pipeline.hpp"

#include <codex/limit/gcra.hpp>

#include <memory>

namespace codex::call {

class limiter_stage final : public stage {
 public:
  limiter_stage(std::shared_ptr<limit::gcra> limiter, stage& next) : limiter_(std::move(limiter)), next_(next) {}

  /// Waits for a slot (failing at once with deadline_too_short when the slot comes
  /// after the call's deadline), sends, and on a 429 pushes the limiter past the
  /// Retry-After so that every coroutine of this credential waits, not only this one.
  asio::awaitable<attempt_result> send(call_context& context) override;

  limit::gcra& limiter() noexcept { return *limiter_; }

 private:
  void learn_from(const net::http_response& response);

  std::shared_ptr<limit::gcra> limiter_;
  stage& next_;
};

}  // namespace codex::call
