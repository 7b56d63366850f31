// codex::limit::gcra: the limiter's arithmetic in virtual time, and its admission bound
// under contention with stale clock readings (golang/go#71360); local_limiter's slots:
// how late each may still be used, and the wait a refused one reports.

#include "limit/limiter_backend.hpp"

#include <codex/error.hpp>
#include "limit/gcra.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using codex::limit::gcra;
using codex::limit::rate_limit;
using codex::limit::reservation;
using codex::limit::time_ns;

namespace {

// Times on the limiter's axis are plain nanoseconds; start far from zero like a real
// steady clock does.
constexpr time_ns t0 = 1'000'000s;

// The largest number of times in any closed window [t, t + w] (t at a time of the set).
std::size_t max_in_window(std::vector<time_ns> times, std::chrono::nanoseconds w) {
  std::sort(times.begin(), times.end());
  std::size_t best = 0;
  std::size_t hi = 0;
  for (std::size_t lo = 0; lo < times.size(); ++lo) {
    hi = std::max(hi, lo);
    while (hi < times.size() && times[hi] <= times[lo] + w) ++hi;
    best = std::max(best, hi - lo);
  }
  return best;
}

// The bound the header promises: count ≤ W / T + burst.
std::size_t bound(const gcra& limiter, std::chrono::nanoseconds w) {
  return static_cast<std::size_t>(w / limiter.emission_interval()) + limiter.rate().burst;
}

}  // namespace

TEST_CASE("a fresh limiter grants its burst at once, then one per interval", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 3});  // T = 100 ms, tau = 200 ms
  CHECK(limiter.emission_interval() == 100ms);
  CHECK(limiter.tolerance() == 200ms);
  for (int i = 0; i < 3; ++i) CHECK(limiter.reserve(t0).ready_at == t0);
  CHECK(limiter.reserve(t0).ready_at == t0 + 100ms);
  CHECK(limiter.reserve(t0).ready_at == t0 + 200ms);
  const auto r = limiter.reserve(t0);
  CHECK(r.ready_at == t0 + 300ms);
  CHECK(r.delay(t0) == 300ms);
  CHECK(r.delay(t0 + 1s) == 0ns);
}

TEST_CASE("burst 1 spaces every request by the emission interval", "[gcra]") {
  gcra limiter;  // contract default: 1000/60s, burst 1
  CHECK(limiter.emission_interval() == 60ms);
  time_ns previous = limiter.reserve(t0).ready_at;
  CHECK(previous == t0);
  for (int i = 0; i < 100; ++i) {
    const auto ready = limiter.reserve(t0 + 1ms * i).ready_at;
    CHECK(ready - previous == 60ms);
    previous = ready;
  }
}

TEST_CASE("an idle limiter refills to its burst, not beyond", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 2});
  for (int i = 0; i < 5; ++i) (void)limiter.reserve(t0);
  const time_ns later = t0 + 1h;
  CHECK(limiter.reserve(later).ready_at == later);
  CHECK(limiter.reserve(later).ready_at == later);
  CHECK(limiter.reserve(later).ready_at == later + 100ms);
}

TEST_CASE("ready_time peeks without committing", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 1});
  (void)limiter.reserve(t0);
  const auto tat = limiter.theoretical_arrival();
  CHECK(limiter.ready_time(t0) == t0 + 100ms);
  CHECK(limiter.ready_time(t0) == t0 + 100ms);
  CHECK(limiter.theoretical_arrival() == tat);
  CHECK(limiter.ready_time(t0 + 1s) == t0 + 1s);
}

TEST_CASE("a stale now never moves the state backwards", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 1});
  (void)limiter.reserve(t0 + 10s);
  const auto tat = limiter.theoretical_arrival();
  CHECK(tat == t0 + 10s + 100ms);
  // A caller that read the clock 10 s ago: its slot is after the current TAT.
  const auto stale = limiter.reserve(t0);
  CHECK(stale.ready_at == t0 + 10s + 100ms);
  CHECK(limiter.theoretical_arrival() == tat + 100ms);
}

TEST_CASE("alternating stale and fresh times do not over-admit (golang/go#71360)", "[gcra]") {
  // Go's x/time/rate recomputed tokens from a `now` older than its last update, so
  // alternating old and new times minted tokens. Here, admitting only what is ready
  // at once while the times alternate must respect the bound.
  gcra limiter(rate_limit{100, 1s, 5});  // T = 10 ms
  std::vector<time_ns> admitted;
  for (int step = 0; step < 2000; ++step) {
    const time_ns fresh = t0 + 1ms * step;
    const time_ns now = step % 2 == 0 ? fresh : fresh - 1s;
    if (auto r = limiter.try_reserve(now, now)) admitted.push_back(r->ready_at);
  }
  // Over the 2 s run: ≤ 2 s / 10 ms + burst.
  CHECK(admitted.size() <= 200 + 5);
  for (auto w : {10ms, 100ms, 1000ms}) CHECK(max_in_window(admitted, w) <= bound(limiter, w));
}

TEST_CASE("try_reserve refuses, without committing, a slot after the deadline", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 1});
  REQUIRE(limiter.try_reserve(t0, t0).has_value());
  const auto tat = limiter.theoretical_arrival();
  CHECK_FALSE(limiter.try_reserve(t0, t0 + 99ms).has_value());
  CHECK(limiter.theoretical_arrival() == tat);
  const auto r = limiter.try_reserve(t0, t0 + 100ms);
  REQUIRE(r.has_value());
  CHECK(r->ready_at == t0 + 100ms);
  CHECK(limiter.theoretical_arrival() == tat + 100ms);
}

TEST_CASE("cancel gives back only the latest slot", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 1});
  const auto first = limiter.reserve(t0);
  const auto second = limiter.reserve(t0);
  CHECK(second.ready_at == t0 + 100ms);

  SECTION("the latest slot is returned and reused") {
    CHECK(limiter.cancel(second));
    CHECK(limiter.reserve(t0).ready_at == t0 + 100ms);
  }
  SECTION("an older slot is not returned: later reservations keep their place") {
    CHECK_FALSE(limiter.cancel(first));
    CHECK(limiter.reserve(t0).ready_at == t0 + 200ms);
  }
  SECTION("cancelling in reverse order returns both") {
    CHECK(limiter.cancel(second));
    CHECK(limiter.cancel(first));
    CHECK(limiter.reserve(t0).ready_at == t0);
  }
  SECTION("a push_back_until since the reservation makes cancel a no-op") {
    CHECK(limiter.push_back_until(t0 + 5s));
    CHECK_FALSE(limiter.cancel(second));
    CHECK(limiter.reserve(t0).ready_at == t0 + 5s);
  }
}

TEST_CASE("push_back_until admits nothing before the time, then the steady rate", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 4});
  (void)limiter.reserve(t0);
  CHECK(limiter.push_back_until(t0 + 2s));
  CHECK(limiter.reserve(t0).ready_at == t0 + 2s);
  CHECK(limiter.reserve(t0 + 1s).ready_at == t0 + 2s + 100ms);  // no burst after a 429
  CHECK(limiter.reserve(t0 + 2s).ready_at == t0 + 2s + 200ms);

  SECTION("an earlier time never pulls it back") {
    const auto tat = limiter.theoretical_arrival();
    CHECK_FALSE(limiter.push_back_until(t0 + 1s));
    CHECK(limiter.theoretical_arrival() == tat);
  }
  SECTION("absurd times saturate instead of wrapping") {
    CHECK(limiter.push_back_until(time_ns(std::numeric_limits<std::int64_t>::max())));
    CHECK(limiter.reserve(t0).ready_at > t0 + 24h * 365 * 100);
  }
}

TEST_CASE("pace_from_headers slows down to what the server says is left", "[gcra]") {
  gcra limiter(rate_limit{10, 1s, 5});  // T = 100 ms, tau = 400 ms

  SECTION("remaining 0 without more detail: the next request one interval later") {
    CHECK(limiter.pace_from_headers(0, std::nullopt, std::nullopt, t0));
    CHECK(limiter.reserve(t0).ready_at == t0 + 100ms);
  }
  SECTION("remaining 2: two at once, the third one interval later") {
    CHECK(limiter.pace_from_headers(2, std::nullopt, std::nullopt, t0));
    CHECK(limiter.reserve(t0).ready_at == t0);
    CHECK(limiter.reserve(t0).ready_at == t0);
    CHECK(limiter.reserve(t0).ready_at == t0 + 100ms);
  }
  SECTION("a slower server interval from Limit and Reset") {
    // 5 tokens missing, full in 2 s: one every 400 ms.
    CHECK(limiter.pace_from_headers(0, 2s, 5u, t0));
    CHECK(limiter.reserve(t0).ready_at == t0 + 400ms);
    CHECK(limiter.reserve(t0).ready_at == t0 + 500ms);
  }
  SECTION("a faster server interval never speeds the limiter up") {
    CHECK(limiter.pace_from_headers(0, 1ms, 1000u, t0));
    CHECK(limiter.reserve(t0).ready_at == t0 + 100ms);
  }
  SECTION("remaining at least the burst: nothing to do") {
    CHECK_FALSE(limiter.pace_from_headers(5, 1s, 10u, t0));
    CHECK_FALSE(limiter.pace_from_headers(999, std::nullopt, std::nullopt, t0));
    for (int i = 0; i < 5; ++i) CHECK(limiter.reserve(t0).ready_at == t0);
  }
  SECTION("never moves the limiter backwards") {
    for (int i = 0; i < 20; ++i) (void)limiter.reserve(t0);
    const auto tat = limiter.theoretical_arrival();
    CHECK_FALSE(limiter.pace_from_headers(0, std::nullopt, std::nullopt, t0));
    CHECK(limiter.theoretical_arrival() == tat);
  }
}

TEST_CASE("an invalid rate is refused at construction", "[gcra]") {
  CHECK_THROWS_AS(gcra(rate_limit{0, 1s, 1}), codex::error);
}

TEST_CASE("contention with stale clock readings never over-admits", "[gcra][mt]") {
  // Several threads hammer one limiter. A shared fake clock advances as they go; some
  // threads read it, let other threads' CAS land, and only then reserve with their
  // now-stale reading. Every reservation's ready time is recorded: over every window,
  // ready times must respect W / T + burst. Two admission styles are mixed: waiting
  // reservations and "only if ready now" ones.
  constexpr int thread_count = 6;
  constexpr int per_thread = 20'000;
  gcra limiter(rate_limit{1000, 1s, 8});  // T = 1 ms
  std::atomic<std::int64_t> clock{t0.count()};
  std::atomic<std::uint64_t> cas_count{0};
  std::vector<std::vector<time_ns>> admitted(thread_count);
  std::vector<std::vector<time_ns>> reserved(thread_count);
  std::atomic<int> ready_threads{0};

  auto worker = [&](int id) {
    // Start together, so that the threads really overlap.
    ready_threads.fetch_add(1);
    while (ready_threads.load() < thread_count) std::this_thread::yield();
    std::mt19937_64 rng(static_cast<std::uint64_t>(id) * 7919u + 1u);
    const bool stale_reader = id % 2 == 1;
    for (int i = 0; i < per_thread; ++i) {
      time_ns now(clock.load(std::memory_order_acquire));
      if (stale_reader && rng() % 4 == 0) {
        // Wait until someone else's CAS has landed after our reading (bounded: the
        // others may be done), and sometimes make the reading very old.
        const auto seen = cas_count.load();
        for (int spin = 0; spin < 2000 && cas_count.load() == seen; ++spin) std::this_thread::yield();
        if (rng() % 8 == 0) now -= 50ms;
      }
      if (rng() % 3 == 0) {
        reserved[static_cast<std::size_t>(id)].push_back(limiter.reserve(now).ready_at);
      } else if (auto r = limiter.try_reserve(now, now)) {
        admitted[static_cast<std::size_t>(id)].push_back(r->ready_at);
      }
      cas_count.fetch_add(1);
      clock.fetch_add(static_cast<std::int64_t>(rng() % 20'000), std::memory_order_acq_rel);  // 0–20 µs
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < thread_count; ++id) threads.emplace_back(worker, id);
  for (auto& t : threads) t.join();

  std::vector<time_ns> all;
  for (int id = 0; id < thread_count; ++id) {
    const auto i = static_cast<std::size_t>(id);
    all.insert(all.end(), admitted[i].begin(), admitted[i].end());
    all.insert(all.end(), reserved[i].begin(), reserved[i].end());
  }
  REQUIRE(all.size() > 1000);
  for (auto w : {0ms, 1ms, 5ms, 20ms, 100ms, 1000ms, 10'000ms}) {
    INFO("window " << w.count() << " ms");
    CHECK(max_in_window(all, w) <= bound(limiter, w));
  }
  // Every reservation took one interval of the axis: TAT moved by at least that.
  CHECK(limiter.theoretical_arrival() - t0 >= limiter.emission_interval() * (static_cast<std::int64_t>(all.size()) - 8));
}

TEST_CASE("contention on push_back_until and reserve keeps the push", "[gcra][mt]") {
  gcra limiter(rate_limit{1000, 1s, 4});
  const time_ns until = t0 + 10s;
  std::atomic<bool> pushed{false};
  std::vector<std::vector<time_ns>> after(4);
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) {
    threads.emplace_back([&, id] {
      for (int i = 0; i < 5000; ++i) {
        if (id == 0 && i == 100) {
          limiter.push_back_until(until);
          pushed.store(true);
        }
        const bool was_pushed = pushed.load();
        const auto r = limiter.reserve(t0 + 1us * i);
        if (was_pushed) after[static_cast<std::size_t>(id)].push_back(r.ready_at);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& times : after)
    for (auto ready : times) CHECK(ready >= until);
}

TEST_CASE("local_limiter: a slot may be used until one interval (at least 5 ms) after it is ready", "[gcra][slot]") {
  using clock = std::chrono::steady_clock;
  const clock::time_point t0 = clock::time_point(std::chrono::hours(1000));
  SECTION("10 per second: 100 ms of slack") {
    codex::limit::local_limiter backend(std::make_shared<gcra>(rate_limit{.limit = 10, .period = 1s, .burst = 1}));
    const auto first = backend.try_acquire(t0, t0 + 10s);
    REQUIRE(first);
    CHECK(first->ready_at == t0);
    CHECK(first->use_by == t0 + 100ms);
    CHECK_FALSE(codex::limit::is_stale(*first, t0 + 100ms));
    CHECK(codex::limit::is_stale(*first, t0 + 100ms + 1ns));
    const auto second = backend.try_acquire(t0, t0 + 10s);
    REQUIRE(second);
    CHECK(second->ready_at == t0 + 100ms);
    CHECK(second->use_by == t0 + 200ms);
  }
  SECTION("1,000 per second: the 5 ms floor") {
    codex::limit::local_limiter backend(std::make_shared<gcra>(rate_limit{.limit = 1000, .period = 1s, .burst = 1}));
    const auto s = backend.try_acquire(t0, t0 + 10s);
    REQUIRE(s);
    CHECK(s->use_by == s->ready_at + 5ms);
  }
  SECTION("a slot after the deadline: deadline_too_short with the wait, nothing committed") {
    codex::limit::local_limiter backend(std::make_shared<gcra>(rate_limit{.limit = 1, .period = 60s, .burst = 1}));
    REQUIRE(backend.try_acquire(t0, t0 + 1s));
    const auto refused = backend.try_acquire(t0 + 10s, t0 + 11s);
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == codex::errc::deadline_too_short);
    CHECK(refused.error().retry_after == std::chrono::milliseconds(50'000));
    const auto later = backend.try_acquire(t0 + 10s, t0 + 60s);
    REQUIRE(later);
    CHECK(later->ready_at == t0 + 60s);
  }
}
