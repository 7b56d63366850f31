#pragma once
// The outer loop: sends, asks the retry tracker what follows, sleeps, sends again.

#include "call/pipeline.hpp"

#include <codex/retry/retry_budget.hpp>
#include <codex/retry/retry_policy.hpp>

namespace codex::call {

class retry_stage final : public stage {
 public:
  /// `budget` is shared by every call of the client and must outlive the stage.
  retry_stage(retry::retry_options options, retry::retry_budget& budget, stage& next)
      : options_(options), budget_(budget), next_(next) {}

  asio::awaitable<attempt_result> send(call_context& context) override;

 private:
  retry::retry_options options_;
  retry::retry_budget& budget_;
  stage& next_;
};

/// The retry tracker's view of an attempt: its status, error and Retry-After.
retry::attempt_outcome outcome_of(const attempt_result& result);

}  // namespace codex::call
