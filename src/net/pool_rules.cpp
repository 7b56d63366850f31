#include "net/pool_rules.hpp"

namespace codex::net::pool {

bool is_fresh(const connection_facts& c, clock::time_point now, const limits& l) noexcept {
  return c.reusable && now - c.last_used_at < l.idle_timeout && now - c.created_at < l.max_age;
}

acquire_step decide_acquire(bool fresh_idle_available, std::size_t open, const limits& l) noexcept {
  if (fresh_idle_available) return acquire_step::reuse_idle;
  return open < l.max_connections ? acquire_step::open_new : acquire_step::wait;
}

release_step decide_release(bool fresh, bool waiter_present) noexcept {
  if (waiter_present) return release_step::hand_to_waiter;
  return fresh ? release_step::keep_idle : release_step::close;
}

bool resend_on_new_connection(int attempt, bool connection_was_used, bool response_started, bool may_resend,
                              const std::error_code& failure) noexcept {
  const bool closed_while_idle = failure == errc::connection_closed || failure == errc::connection_reset;
  return attempt == 0 && connection_was_used && !response_started && may_resend && closed_while_idle;
}

}  // namespace codex::net::pool
