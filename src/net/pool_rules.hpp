#pragma once
// The connection pool's decisions, as pure functions of what the pool knows — no
// connection, lock or clock of their own — so that each is tested on its own
// (tests/unit/pool_rules_test.cpp); transport.cpp performs what they say.

#include <codex/error.hpp>

#include <chrono>
#include <cstddef>
#include <system_error>

namespace codex::net::pool {

using clock = std::chrono::steady_clock;

/// What the pool knows of one connection.
struct connection_facts {
  bool reusable = true;  ///< no error, timeout, "Connection: close" or stray byte so far
  clock::time_point created_at;
  clock::time_point last_used_at;
};

struct limits {
  std::size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds max_age{300'000};
};

/// Whether a connection may carry another request at `now`: reusable, idle for less
/// than idle_timeout, younger than max_age.
bool is_fresh(const connection_facts& c, clock::time_point now, const limits& l) noexcept;

/// What a caller asking for a connection gets, once the stale idle ones are closed.
enum class acquire_step : std::uint8_t {
  reuse_idle,  ///< the most recently used idle connection (warmest)
  open_new,    ///< a slot is free: open a connection (counted as open at once)
  wait,        ///< at the limit: wait for one given back, no later than the deadline
};
acquire_step decide_acquire(bool fresh_idle_available, std::size_t open, const limits& l) noexcept;

/// What a connection given back becomes.
enum class release_step : std::uint8_t {
  hand_to_waiter,  ///< the oldest waiter takes it (or, if it is spent, its slot, to open one)
  keep_idle,       ///< fresh: kept for the next caller
  close,           ///< spent: closed, its slot freed
};
release_step decide_release(bool fresh, bool waiter_present) noexcept;

/// Whether a failed exchange is sent once more on a new connection: only the first
/// attempt, only on a connection that had carried a response before (the server may
/// have closed it while it sat idle), only before any byte of a response arrived, only
/// for a closed or reset connection, and only for a request that may be resent.
bool resend_on_new_connection(int attempt, bool connection_was_used, bool response_started, bool may_resend,
                              const std::error_code& failure) noexcept;

}  // namespace codex::net::pool
