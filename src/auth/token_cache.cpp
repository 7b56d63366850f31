#include "auth/token_cache.hpp"

#include <algorithm>
#include <cmath>

namespace codex::auth {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// The token's lifetime from when it was requested (see the class comment).
nanoseconds lifetime_of(const token_grant& grant, system_clock::time_point system_now,
                        const token_cache_options& options) {
  std::optional<nanoseconds> from_expires_in;
  if (grant.expires_in && grant.expires_in->count() > 0) from_expires_in = *grant.expires_in;

  std::optional<nanoseconds> from_exp;
  if (grant.jwt_exp) {
    const system_clock::time_point exp{seconds(*grant.jwt_exp)};
    // The server's own clock (its Date) removes local skew; the local clock is the fallback.
    const auto reference = grant.server_date.value_or(system_now);
    const auto left = duration_cast<nanoseconds>(exp - reference);
    // An exp already past on a token just issued says more about the clocks than about
    // the token: trust expires_in then.
    if (left.count() > 0 || !from_expires_in) from_exp = left;
  }

  if (from_expires_in && from_exp) return std::min(*from_expires_in, *from_exp);
  if (from_expires_in) return *from_expires_in;
  if (from_exp && from_exp->count() > 0) return *from_exp;
  return options.unknown_lifetime;
}

milliseconds scaled(nanoseconds d, double fraction) {
  return duration_cast<milliseconds>(nanoseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * fraction)));
}

}  // namespace

const char* to_string(token_action action) noexcept {
  switch (action) {
    case token_action::use_current: return "use_current";
    case token_action::use_current_and_start_background_refresh: return "use_current_and_start_background_refresh";
    case token_action::must_wait_for_refresh: return "must_wait_for_refresh";
    case token_action::wait_backoff: return "wait_backoff";
    case token_action::fail_credentials_rejected: return "fail_credentials_rejected";
  }
  return "unknown";
}

token_decision token_cache::make(token_action action, bool start) const {
  token_decision d;
  d.action = action;
  d.start_refresh = start;
  if (action == token_action::use_current || action == token_action::use_current_and_start_background_refresh) {
    d.token = token_;
  } else if (action == token_action::wait_backoff) {
    d.retry_at = backoff_until_;
    d.error = last_failure_;
  } else if (action == token_action::fail_credentials_rejected) {
    d.error = make_error_code(errc::credentials_rejected);
  }
  return d;
}

token_decision token_cache::decide(clock::time_point now) {
  const bool valid = token_ && now < expires_at_;
  const bool may_refresh = !in_flight_ && !rejected_ && now >= backoff_until_;
  if (valid) {
    if (now >= refresh_at_ && may_refresh) {
      in_flight_ = true;
      return make(token_action::use_current_and_start_background_refresh, true);
    }
    return make(token_action::use_current, false);
  }
  if (rejected_) return make(token_action::fail_credentials_rejected, false);
  if (in_flight_) return make(token_action::must_wait_for_refresh, false);
  if (now < backoff_until_) return make(token_action::wait_backoff, false);
  in_flight_ = true;
  return make(token_action::must_wait_for_refresh, true);
}

void token_cache::on_refresh_success(token_grant grant, clock::time_point sent_at,
                                     system_clock::time_point system_now) {
  const nanoseconds lifetime = lifetime_of(grant, system_now, options_);
  const nanoseconds margin = std::min<nanoseconds>(options_.expiry_margin, lifetime / 10);
  const nanoseconds window = std::min<nanoseconds>(options_.max_refresh_window, scaled(lifetime, options_.refresh_fraction));
  token_ = std::make_shared<const secret>(std::move(grant.access_token));
  expires_at_ = sent_at + lifetime - margin;
  refresh_at_ = expires_at_ - std::max(window, nanoseconds::zero());
  in_flight_ = false;
  failures_ = 0;
  backoff_until_ = {};
  last_failure_ = {};
  ++generation_;
}

void token_cache::on_refresh_failure(std::error_code error, clock::time_point now, std::uint64_t random_bits) noexcept {
  in_flight_ = false;
  ++generation_;
  if (error == errc::cancelled) return;  // nobody failed: the next caller just starts again
  last_failure_ = error;
  if (error == errc::credentials_rejected) {
    rejected_ = true;
    return;
  }
  ++failures_;
  // Equal jitter: half the ceiling fixed, half random — never ~0, so that a dead token
  // endpoint is not hammered, and spread so that processes do not retry together.
  const double growth = std::pow(2.0, static_cast<double>(std::min<std::uint32_t>(failures_, 40) - 1));
  const double ceiling_ms = std::min(static_cast<double>(options_.failure_backoff_max.count()),
                                     static_cast<double>(options_.failure_backoff_initial.count()) * growth);
  const auto ceiling = milliseconds(static_cast<std::int64_t>(std::max(ceiling_ms, 0.0)));
  const auto half = ceiling / 2;
  const auto spread = static_cast<unsigned __int128>(ceiling.count() - half.count() + 1);
  const auto jitter = milliseconds(static_cast<std::int64_t>((spread * random_bits) >> 64));
  backoff_until_ = now + half + jitter;
}

bool token_cache::invalidate(const std::shared_ptr<const secret>& token) noexcept {
  if (!token || token != token_) return false;
  token_.reset();
  return true;
}

void token_cache::reset_credentials() noexcept {
  token_.reset();
  rejected_ = false;
  failures_ = 0;
  backoff_until_ = {};
  last_failure_ = {};
}

std::optional<token_cache::clock::time_point> token_cache::expires_at() const noexcept {
  if (!token_) return std::nullopt;
  return expires_at_;
}

std::optional<token_cache::clock::time_point> token_cache::refresh_at() const noexcept {
  if (!token_) return std::nullopt;
  return refresh_at_;
}

}  // namespace codex::auth
