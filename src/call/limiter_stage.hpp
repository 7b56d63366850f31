#pragma once
// Takes a slot from the credential's limiter before each attempt — the in-process GCRA
// or the schedule shared through Redis (limit::limiter_backend) — and feeds what the
// server says about its own limit back into it.

#include "call/pipeline.hpp"
#include "limit/limiter_backend.hpp"

#include <memory>

namespace codex::call {

class limiter_stage final : public stage {
 public:
  limiter_stage(std::shared_ptr<limit::limiter_backend> limiter, stage& next)
      : limiter_(std::move(limiter)), next_(next) {}

  /// Waits for a slot (failing at once with deadline_too_short when the slot comes
  /// after the call's deadline; with errc::timeout when a shared limiter's keeper did
  /// not answer in time), sends, and on a 429 pushes the limiter past the Retry-After
  /// so that every coroutine of this credential waits — with Redis, every process.
  asio::awaitable<attempt_result> send(call_context& context) override;

  limit::limiter_backend& limiter() noexcept { return *limiter_; }

 private:
  void learn_from(const net::http_response& response);

  std::shared_ptr<limit::limiter_backend> limiter_;
  stage& next_;
};

}  // namespace codex::call
