// codex::retry::retry_budget: retries spend, successes refund, a per-second floor.

#include "retry/retry_budget.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using codex::retry::retry_budget;
using clock_type = retry_budget::clock;

namespace {
const clock_type::time_point t0 = clock_type::time_point(1000s);
}

TEST_CASE("a budget without floor drains, then refuses", "[budget]") {
  retry_budget budget({.max_tokens = 3, .refund_per_success = 0.5, .min_retries_per_second = 0});
  CHECK(budget.tokens() == 3.0);
  CHECK(budget.try_spend(t0));
  CHECK(budget.try_spend(t0));
  CHECK(budget.try_spend(t0));
  CHECK_FALSE(budget.try_spend(t0));
  CHECK_FALSE(budget.try_spend(t0 + 1h));  // no floor: time alone gives nothing
  CHECK(budget.tokens() == 0.0);
}

TEST_CASE("successes refund a fraction, up to the capacity", "[budget]") {
  retry_budget budget({.max_tokens = 2, .refund_per_success = 0.1, .min_retries_per_second = 0});
  CHECK(budget.try_spend(t0));
  CHECK(budget.try_spend(t0));
  for (int i = 0; i < 9; ++i) budget.on_success();
  CHECK(budget.tokens() == Approx(0.9));
  CHECK_FALSE(budget.try_spend(t0));  // a token is whole
  budget.on_success();
  CHECK(budget.try_spend(t0));
  for (int i = 0; i < 1000; ++i) budget.on_success();
  CHECK(budget.tokens() == 2.0);
}

TEST_CASE("the per-second floor allows retries with no earned tokens", "[budget]") {
  retry_budget budget({.max_tokens = 0, .refund_per_success = 0.1, .min_retries_per_second = 5});
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += budget.try_spend(t0) ? 1 : 0;
  CHECK(granted == 5);  // a second's worth at once
  CHECK_FALSE(budget.try_spend(t0 + 100ms));
  CHECK(budget.try_spend(t0 + 200ms));  // one more every 200 ms
  // Over 10 s of steady demand: about 5 per second.
  granted = 0;
  for (int ms = 0; ms < 10'000; ms += 10) granted += budget.try_spend(t0 + 1s + 1ms * ms) ? 1 : 0;
  CHECK(granted >= 50);
  CHECK(granted <= 50 + 5);
}

TEST_CASE("the floor is used before earned tokens", "[budget]") {
  retry_budget budget({.max_tokens = 10, .refund_per_success = 0.1, .min_retries_per_second = 2});
  CHECK(budget.try_spend(t0));
  CHECK(budget.try_spend(t0));
  CHECK(budget.tokens() == 10.0);
  CHECK(budget.try_spend(t0));
  CHECK(budget.tokens() == 9.0);
}

TEST_CASE("default options", "[budget]") {
  retry_budget budget;
  CHECK(budget.options().max_tokens == 100.0);
  CHECK(budget.options().refund_per_success == 0.1);
  CHECK(budget.options().min_retries_per_second == 10u);
  CHECK(budget.tokens() == 100.0);
  // An outage: 10 floor + 100 tokens within one instant, then nothing.
  int granted = 0;
  for (int i = 0; i < 1000; ++i) granted += budget.try_spend(t0) ? 1 : 0;
  CHECK(granted == 110);
}

TEST_CASE("odd options are clamped, not fatal", "[budget]") {
  retry_budget negative({.max_tokens = -4, .refund_per_success = -1, .min_retries_per_second = 0});
  CHECK(negative.tokens() == 0.0);
  negative.on_success();
  CHECK(negative.tokens() == 0.0);
  retry_budget huge_floor({.max_tokens = 0, .refund_per_success = 0, .min_retries_per_second = 4'000'000'000u});
  CHECK(huge_floor.try_spend(t0));
}

TEST_CASE("concurrent spends never exceed the tokens", "[budget][mt]") {
  retry_budget budget({.max_tokens = 1000, .refund_per_success = 0.5, .min_retries_per_second = 0});
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) {
    threads.emplace_back([&, id] {
      for (int i = 0; i < 2000; ++i) {
        if (budget.try_spend(t0)) granted.fetch_add(1);
        if (id % 2 == 0 && i % 4 == 0) budget.on_success();  // 2 threads × 500 successes × 0.5
      }
    });
  }
  for (auto& t : threads) t.join();
  // 1000 initial + at most 500 refunded; spends and refunds interleave, so at least the initial.
  CHECK(granted.load() >= 1000);
  CHECK(granted.load() <= 1500);
  CHECK(budget.tokens() >= 0.0);
  CHECK(budget.tokens() * 2 + granted.load() * 2 <= 2 * 1500.0 + 1e-9);
}
