#pragma once
// The Redis tests' settings: a client and a limiter that give up and reconnect quickly
// (a test kills, pauses and fails over its servers), and a command's words.

#include "limit/redis_client.hpp"

#include <codex/limit/limiter_options.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace codex::test {

/// A command's words, built outside any co_await expression (the g++ 12 pitfall with
/// braced temporaries there).
template <class... Words>
std::vector<std::string> words(Words&&... w) {
  return {std::string(std::forward<Words>(w))...};
}

/// Connect ≤ 500 ms, reply ≤ `reply_timeout`, reconnect after 10–200 ms.
inline limit::redis_client_options quick_client_options(const std::string& url,
                                                        std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(300)) {
  using namespace std::chrono_literals;
  return {.endpoint = limit::parse_redis_endpoint(url).value(), .connect_timeout = 500ms, .reply_timeout = reply_timeout,
          .reconnect_min = 10ms, .reconnect_max = 200ms};
}

/// `options` with the same quick timings (connect 500 ms, reply 300 ms, reconnect 10–200 ms).
inline limit::redis_limiter_options quick(limit::redis_limiter_options options) {
  using namespace std::chrono_literals;
  options.connect_timeout = 500ms;
  options.reply_timeout = 300ms;
  options.reconnect_min = 10ms;
  options.reconnect_max = 200ms;
  return options;
}

}  // namespace codex::test
