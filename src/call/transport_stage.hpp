#pragma once
// The last stage: one exchange over the pooled transport.

#include "call/pipeline.hpp"

#include "net/transport_access.hpp"

#include <codex/net/transport.hpp>

namespace codex::call {

class transport_stage final : public stage {
 public:
  explicit transport_stage(net::transport& transport) : transport_(transport) {}

  asio::awaitable<attempt_result> send(call_context& context) override {
    auto deadline = context.deadline;
    if (context.attempt_timeout.count() > 0) deadline = std::min(deadline, clock::now() + context.attempt_timeout);
    context.report.attempts += 1;
    co_return co_await net::transport_access::send(transport_, context.request, deadline, context.replay_safe);
  }

 private:
  net::transport& transport_;
};

}  // namespace codex::call
