// codex::retry::backoff_policy: bounds, cap and the distribution of full jitter with an
// injected random source.

#include <codex/retry/backoff.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using codex::retry::backoff_policy;
using codex::retry::full_jitter;

TEST_CASE("the ceiling grows exponentially up to the cap", "[backoff]") {
  const backoff_policy policy{.initial = 100ms, .max = 1s, .multiplier = 2.0};
  CHECK(policy.ceiling(0) == 100ms);
  CHECK(policy.ceiling(1) == 100ms);
  CHECK(policy.ceiling(2) == 200ms);
  CHECK(policy.ceiling(3) == 400ms);
  CHECK(policy.ceiling(4) == 800ms);
  CHECK(policy.ceiling(5) == 1s);
  CHECK(policy.ceiling(60) == 1s);
  CHECK(policy.ceiling(std::numeric_limits<std::uint32_t>::max()) == 1s);
}

TEST_CASE("odd parameters stay sane", "[backoff]") {
  CHECK(backoff_policy{.initial = 100ms, .max = 1s, .multiplier = 0.5}.ceiling(5) == 100ms);  // treated as 1
  CHECK(backoff_policy{.initial = 100ms, .max = 1s, .multiplier = 1.5}.ceiling(3) == 225ms);
  CHECK(backoff_policy{.initial = -5ms, .max = 1s, .multiplier = 2}.ceiling(3) == 0ms);
  CHECK(backoff_policy{.initial = 5s, .max = 1s, .multiplier = 2}.ceiling(1) == 1s);
  CHECK(backoff_policy{.initial = 0ms, .max = 1s, .multiplier = 2}.delay(3, ~0ull) == 0ms);
  CHECK(backoff_policy{.initial = 0ms, .max = 1s, .multiplier = 2}.ceiling(5000) == 0ms);
}

TEST_CASE("full jitter spans [0, ceiling] and is monotonic in the random bits", "[backoff]") {
  CHECK(full_jitter(1000ms, 0) == 0ms);
  CHECK(full_jitter(1000ms, std::numeric_limits<std::uint64_t>::max()) == 1000ms);
  CHECK(full_jitter(1000ms, std::uint64_t{1} << 63) == 500ms);
  CHECK(full_jitter(0ms, 12345) == 0ms);
  CHECK(full_jitter(-1ms, 12345) == 0ms);
  std::uint64_t previous = 0;
  for (std::uint64_t r = 0; r < (std::uint64_t{1} << 63); r += std::uint64_t{1} << 57) {
    const auto d = static_cast<std::uint64_t>(full_jitter(1000ms, r).count());
    CHECK(d >= previous);
    previous = d;
  }
}

TEST_CASE("delay never exceeds the ceiling of its retry", "[backoff]") {
  const backoff_policy policy{.initial = 50ms, .max = 2s, .multiplier = 3.0};
  std::mt19937_64 rng(42);
  for (std::uint32_t retry = 1; retry < 12; ++retry) {
    for (int i = 0; i < 500; ++i) {
      const auto d = policy.delay(retry, rng());
      CHECK(d >= 0ms);
      CHECK(d <= policy.ceiling(retry));
    }
  }
}

TEST_CASE("full jitter is uniform over the ceiling", "[backoff]") {
  // 10 buckets of 100 ms over [0, 1 s]: with 100,000 draws each holds ~10,000.
  std::mt19937_64 rng(7);
  std::vector<int> buckets(10, 0);
  constexpr int draws = 100'000;
  long long sum = 0;
  for (int i = 0; i < draws; ++i) {
    const auto d = full_jitter(999ms, rng()).count();
    ++buckets[static_cast<std::size_t>(d / 100)];
    sum += d;
  }
  for (int count : buckets) CHECK(std::abs(count - draws / 10) < draws / 10 / 10);  // within 10 %
  CHECK(std::abs(static_cast<double>(sum) / draws - 499.5) < 5.0);
}

TEST_CASE("jitter_bits differs between draws", "[backoff]") {
  const auto a = codex::retry::jitter_bits();
  const auto b = codex::retry::jitter_bits();
  const auto c = codex::retry::jitter_bits();
  CHECK_FALSE((a == b && b == c));
}
