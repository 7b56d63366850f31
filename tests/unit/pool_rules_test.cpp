// codex::net::pool: the connection pool's decisions — freshness, reuse / open / wait,
// what a connection given back becomes, and the one resend on a new connection after
// the server closed an idle one — with no socket and no clock.

#include "net/pool_rules.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace pool = codex::net::pool;
using codex::errc;

namespace {
const pool::clock::time_point t0 = pool::clock::time_point(std::chrono::hours(1000));
const pool::limits limits{.max_connections = 2, .idle_timeout = 30s, .max_age = 300s};
}  // namespace

TEST_CASE("pool: a connection is fresh while reusable, recently used and young enough", "[pool]") {
  const pool::connection_facts c{.reusable = true, .created_at = t0, .last_used_at = t0 + 100s};
  CHECK(pool::is_fresh(c, t0 + 120s, limits));
  CHECK_FALSE(pool::is_fresh(c, t0 + 130s, limits));  // idle for exactly idle_timeout
  CHECK_FALSE(pool::is_fresh({.reusable = true, .created_at = t0, .last_used_at = t0 + 299s}, t0 + 300s, limits));
  CHECK_FALSE(pool::is_fresh({.reusable = false, .created_at = t0, .last_used_at = t0}, t0 + 1s, limits));
}

TEST_CASE("pool: reuse an idle connection first, open one while under the limit, else wait", "[pool]") {
  CHECK(pool::decide_acquire(true, 2, limits) == pool::acquire_step::reuse_idle);
  CHECK(pool::decide_acquire(false, 0, limits) == pool::acquire_step::open_new);
  CHECK(pool::decide_acquire(false, 1, limits) == pool::acquire_step::open_new);
  CHECK(pool::decide_acquire(false, 2, limits) == pool::acquire_step::wait);
}

TEST_CASE("pool: a connection given back goes to a waiter first, else idle if fresh, else closed", "[pool]") {
  CHECK(pool::decide_release(true, true) == pool::release_step::hand_to_waiter);
  CHECK(pool::decide_release(false, true) == pool::release_step::hand_to_waiter);  // its slot, to open one
  CHECK(pool::decide_release(true, false) == pool::release_step::keep_idle);
  CHECK(pool::decide_release(false, false) == pool::release_step::close);
}

TEST_CASE("pool: one resend on a new connection, only for a used connection closed before any response byte",
          "[pool]") {
  const auto closed = make_error_code(errc::connection_closed);
  const auto reset = make_error_code(errc::connection_reset);
  CHECK(pool::resend_on_new_connection(0, true, false, true, closed));
  CHECK(pool::resend_on_new_connection(0, true, false, true, reset));
  CHECK_FALSE(pool::resend_on_new_connection(1, true, false, true, closed));  // only once
  CHECK_FALSE(pool::resend_on_new_connection(0, false, false, true, closed));  // a new connection failing is real
  CHECK_FALSE(pool::resend_on_new_connection(0, true, true, true, closed));  // the server had started answering
  CHECK_FALSE(pool::resend_on_new_connection(0, true, false, false, closed));  // a POST without an idempotency key
  CHECK_FALSE(pool::resend_on_new_connection(0, true, false, true, make_error_code(errc::timeout)));
}
