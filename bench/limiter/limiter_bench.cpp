// Limiter acquire cost: codex's lock-free GCRA (codex::limit::gcra::reserve) against a
// straightforward mutex-protected token bucket, each with the real steady_clock read
// per acquire and with an event-loop cached time (one clock read per batch of
// `batch` acquires), uncontended, two threads on one key, and two threads on two keys.
//
// Both limiters do the same job: commit a slot and say when the request may go; neither
// sleeps. Every result goes through do_not_optimize() so that no work can be dropped.

#include "results.hpp"

#include "limit/gcra.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using codex::limit::time_ns;

/// Makes the compiler believe `value` is read (and memory clobbered), as Google
/// Benchmark's DoNotOptimize does.
template <class T>
inline void do_not_optimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

inline time_ns clock_now() { return clock_type::now().time_since_epoch(); }

/// A fair, plain token bucket behind a std::mutex: capacity `burst`, refilled
/// continuously at limit/period. acquire() refills, takes one token (the balance may go
/// negative: the request then waits until it is paid back) and returns when the
/// request may go — the same contract as gcra::reserve().
class alignas(64) mutex_token_bucket {
 public:
  explicit mutex_token_bucket(const codex::limit::rate_limit& rate)
      : interval_ns_(static_cast<double>(rate.emission_interval().count())),
        capacity_(static_cast<double>(rate.burst)),
        tokens_(capacity_) {}

  time_ns acquire(time_ns now) {
    std::lock_guard lock{mutex_};
    const std::int64_t t = now.count();
    if (t > last_) {
      tokens_ = std::min(capacity_, tokens_ + static_cast<double>(t - last_) / interval_ns_);
      last_ = t;
    }
    tokens_ -= 1;
    if (tokens_ >= 0) return now;
    return time_ns(last_ + static_cast<std::int64_t>(-tokens_ * interval_ns_));
  }

 private:
  std::mutex mutex_;
  double interval_ns_;
  double capacity_;
  double tokens_;
  std::int64_t last_ = 0;
};

struct gcra_key {
  codex::limit::gcra limiter{codex::limit::contract_default_rate};
  time_ns acquire(time_ns now) { return limiter.reserve(now).ready_at; }
};

/// The floor of any limiter that commits a slot with one atomic read-modify-write: the
/// same max-and-add as GCRA in an inline CAS loop, nothing else (no call, no ready time).
struct alignas(64) bare_cas_key {
  std::atomic<std::int64_t> tat{0};
  time_ns acquire(time_ns now) {
    std::int64_t t = tat.load(std::memory_order_relaxed);
    while (!tat.compare_exchange_weak(t, std::max(t, now.count()) + 60'000'000, std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
    }
    return time_ns(t);
  }
};

struct bucket_key {
  mutex_token_bucket limiter{codex::limit::contract_default_rate};
  time_ns acquire(time_ns now) { return limiter.acquire(now); }
};

constexpr std::size_t chunk = 64;  // acquires between two looks at the stop flag

/// Acquires on `key` until `stop` is set, the clock read per acquire (batch 1) or once
/// per `batch` acquires. Returns ns per acquire as this thread saw it.
template <class Key>
double run_loop(Key& key, const std::atomic<bool>& stop, std::size_t batch) {
  std::size_t count = 0;
  const auto start = clock_type::now();
  do {  // at least one chunk: a thread scheduled late must not report 0 acquires
    if (batch <= 1) {
      for (std::size_t i = 0; i < chunk; ++i) {
        const time_ns ready = key.acquire(clock_now());
        do_not_optimize(ready);
      }
    } else {
      for (std::size_t done = 0; done < chunk; done += batch) {
        const time_ns now = clock_now();  // an event loop reads the clock once per turn
        for (std::size_t i = 0; i < batch; ++i) {
          const time_ns ready = key.acquire(now);
          do_not_optimize(ready);
        }
      }
    }
    count += chunk;
  } while (!stop.load(std::memory_order_relaxed));
  const auto elapsed = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
  return elapsed / static_cast<double>(count);
}

/// ns per acquire as each of `threads` threads sees it (mean over the threads), every
/// thread on keys[thread % keys.size()], all acquiring during the same `window` of
/// wall time (so that contended runs really overlap).
template <class Key>
double run_threads(std::vector<Key*> keys, unsigned threads, std::chrono::duration<double> window, std::size_t batch) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<double> per_thread(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      per_thread[t] = run_loop(*keys[t % keys.size()], stop, batch);
    });
  }
  while (ready.load() != threads) {
  }
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(window);
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : pool) th.join();
  double sum = 0;
  for (double v : per_thread) sum += v;
  return sum / threads;
}

struct scenario {
  std::string name;     // the figure's metric prefix
  unsigned threads;
  unsigned keys;
};

template <class Key>
bench::summary measure(const scenario& s, std::chrono::duration<double> window, std::size_t batch, int runs) {
  std::vector<double> samples;
  for (int r = 0; r < runs; ++r) {
    std::vector<Key> storage(s.keys);
    std::vector<Key*> keys;
    for (auto& k : storage) keys.push_back(&k);
    // A short warm-up of the same loop (page faults, frequency, branch predictors).
    run_threads(keys, s.threads, window / 10, batch);
    samples.push_back(run_threads(keys, s.threads, window, batch));
  }
  return bench::summarize(std::move(samples));
}

}  // namespace

int main() {
  const bool smoke = bench::smoke();
  const int runs = smoke ? 5 : 9;
  const std::chrono::duration<double> window(smoke ? 0.01 : 0.25);  // of acquiring, per run
  const std::size_t batch = 64;  // acquires per cached clock read

  const bool lock_free = std::atomic<std::int64_t>::is_always_lock_free;
  std::printf("limiter: codex::limit::gcra keeps its state in one std::atomic<int64_t> (CAS loop, no mutex); "
              "std::atomic<int64_t>::is_always_lock_free = %s\n",
              lock_free ? "true" : "false");
  std::printf("limiter: %.0f ms of acquiring per run and thread, %d runs, cached time = one steady_clock read per %zu "
              "acquires; %u hardware threads\n",
              window.count() * 1000, runs, batch, std::thread::hardware_concurrency());

  const scenario scenarios[] = {
      {"uncontended", 1, 1},
      {"2threads_1key", 2, 1},
      {"2threads_2keys", 2, 2},
  };
  const bench::target real_clock_target{bench::goal::at_most, 35, "≤ 35 ns (clock incl.)"};
  const bench::target cached_target{bench::goal::at_most, 5, "≤ 5 ns"};

  std::vector<bench::figure> figures;
  figures.push_back({"limiter", "gcra", "atomic_always_lock_free", {lock_free ? 1.0 : 0.0, lock_free ? 1.0 : 0.0,
                                                                    lock_free ? 1.0 : 0.0, 1},
                     bench::target{bench::goal::exactly, 1, "= 1 (no lock)"}});
  for (const auto& s : scenarios) {
    for (const bool cached : {false, true}) {
      const std::size_t b = cached ? batch : 1;
      const std::string metric = s.name + (cached ? "_cached_ns" : "_clock_ns");
      std::optional<bench::target> goal;
      if (s.threads == 1) goal = cached ? cached_target : real_clock_target;
      figures.push_back({"limiter", "gcra", metric, measure<gcra_key>(s, window, b, runs), goal});
      figures.push_back({"limiter", "mutex_token_bucket", metric, measure<bucket_key>(s, window, b, runs), std::nullopt});
    }
  }
  // The floor of one atomic read-modify-write per acquire, for reading the figures above.
  figures.push_back({"limiter", "bare_cas_loop", "uncontended_cached_ns",
                     measure<bare_cas_key>(scenarios[0], window, batch, runs), std::nullopt});
  // The clock itself, for reading the figures above.
  {
    const std::size_t count = smoke ? 200'000 : 5'000'000;
    std::vector<double> samples;
    for (int r = 0; r < runs; ++r) {
      const auto start = clock_type::now();
      for (std::size_t i = 0; i < count; ++i) {
        const time_ns now = clock_now();
        do_not_optimize(now);
      }
      samples.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count() /
                        static_cast<double>(count));
    }
    figures.push_back({"limiter", "steady_clock", "now_ns", bench::summarize(std::move(samples)), std::nullopt});
  }

  bench::append_rows(bench::results_path(), figures);
  bench::print_table("limiter — ns per acquire (median of runs; threads: mean per-thread ns per acquire)", figures);
  return 0;
}
