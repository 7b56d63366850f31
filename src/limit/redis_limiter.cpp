#include "limit/redis_limiter.hpp"

#include "limit/redis_support.hpp"

#include <codex/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace codex::limit {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::microseconds;

[[noreturn]] void refuse(std::string message) {
  throw codex::error(error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)});
}

redis_client_options client_options(const redis_limiter_options& options) {
  auto endpoint = parse_redis_endpoint(options.url);
  if (!endpoint) refuse("limiter: " + endpoint.error().message);
  if (endpoint->password.empty()) endpoint->password = options.password;
  if (endpoint->password.empty()) {
    if (const char* env = std::getenv("CODEX_LIMITER_PASSWORD"); env != nullptr && *env != '\0')
      endpoint->password = auth::secret(env);
  }
  if (!endpoint->user.empty() && endpoint->password.empty())
    refuse("limiter: the Redis user '" + endpoint->user + "' needs a password (in the URL, the options or CODEX_LIMITER_PASSWORD)");
  const auto& tls = options.tls;
  if (!endpoint->tls && (!tls.ca_file.empty() || !tls.ca_directory.empty() || !tls.client_certificate_file.empty()))
    refuse("limiter: a CA or client certificate is for rediss:// (TLS) URLs");
  return {.endpoint = std::move(*endpoint),
          .tls = options.tls,
          .connect_timeout = options.connect_timeout,
          .reply_timeout = options.reply_timeout,
          .reconnect_min = options.reconnect_min,
          .reconnect_max = options.reconnect_max};
}

redis_gcra::params params_for(const rate_limit& rate) {
  if (!rate.valid()) refuse("invalid rate limit " + to_string(rate));
  // Rounded up to the microsecond: rounding never admits more than the limit.
  const std::int64_t interval_us = (rate.emission_interval().count() + 999) / 1000;
  return {.interval_us = interval_us, .tolerance_us = static_cast<std::int64_t>(rate.burst - 1) * interval_us};
}

rate_limit fallback_rate(const redis_limiter_options& options, const rate_limit& rate) {
  if (!(options.fallback_share > 0 && options.fallback_share <= 1)) refuse("limiter: fallback_share must be in (0, 1]");
  if (options.lease < 1 || options.lease > 1000) refuse("limiter: lease must be from 1 to 1000");
  rate_limit share = rate;
  share.limit = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::floor(static_cast<double>(rate.limit) * options.fallback_share)));
  share.burst = 1;
  return share;
}

/// What the limiter keeps of its options: the password lives in the connection only.
redis_limiter_options without_secrets(const redis_limiter_options& options) {
  redis_limiter_options kept = options;
  kept.password = {};
  kept.tls.client_key_passphrase = {};
  if (auto endpoint = parse_redis_endpoint(options.url)) kept.url = endpoint->to_string();
  return kept;
}

std::int64_t to_us(clock::duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }

error_info failure(errc code, std::string message) {
  return error_info{.code = make_error_code(code), .message = std::move(message)};
}

/// An error reply's errc: a refusal (see is_refusal) when it says the credentials or
/// the ACL forbid the check, which waiting will not change; io_error otherwise.
errc reply_error_code(std::string_view text) {
  if (text.starts_with("NOAUTH") || text.starts_with("WRONGPASS")) return errc::credentials_rejected;
  if (text.starts_with("NOPERM")) return errc::permission_denied;
  return errc::io_error;
}

/// Waits a little (bounded by `deadline`) before asking again after an error reply.
asio::awaitable<void> pause_before_retry(clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::min(clock::now() + std::chrono::milliseconds(20), deadline));
  co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

}  // namespace

redis_limiter::redis_limiter(asio::any_io_executor executor, const redis_limiter_options& options,
                             const rate_limit& rate, std::string_view identity)
    : options_(without_secrets(options)),
      params_(params_for(rate)),
      key_(options.key_prefix + std::string(identity)),
      executor_(executor),
      fallback_(std::make_shared<gcra>(fallback_rate(options, rate))) {
  client_ = redis_client::start(std::move(executor), client_options(options));
}

redis_limiter::~redis_limiter() { client_->stop(); }

asio::awaitable<result<redis_reply>> redis_limiter::eval(std::vector<std::string> args, clock::time_point deadline) {
  auto reply = co_await client_->exec(args, deadline);
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    // Redis restarted (or SCRIPT FLUSH): load the script once more, then call it by SHA again.
    script_loads_.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::string> load = {"SCRIPT", "LOAD", std::string(redis_gcra::script())};
    auto loaded = co_await client_->exec(std::move(load), deadline);
    if (!loaded) co_return std::move(loaded).error();
    if (loaded->is_error()) co_return failure(errc::io_error, "Redis refused the limiter script: " + loaded->text);
    reply = co_await client_->exec(std::move(args), deadline);
  }
  if (reply && reply->is_error()) co_return failure(reply_error_code(reply->text), "Redis at " + options_.url + ": " + reply->text);
  co_return reply;
}

std::optional<clock::time_point> redis_limiter::take_leased(clock::time_point now) {
  std::lock_guard lock(lease_mutex_);
  // A leased slot used late can go closer to the next one than the schedule says: one
  // more than slot_slack() late is dropped (dropping only ever slows down).
  const auto stale = now - slot_slack(microseconds(params_.interval_us));
  while (!leased_.empty() && leased_.front() < stale) leased_.pop_front();
  if (leased_.empty()) return std::nullopt;
  const auto t = leased_.front();
  leased_.pop_front();
  return t;
}

clock::time_point redis_limiter::after_push(clock::time_point ready) const noexcept {
  const auto floor = clock::time_point(clock::duration(push_floor_.load(std::memory_order_acquire)));
  return std::max(ready, floor);
}

result<slot> redis_limiter::from_fallback(clock::time_point now, clock::time_point deadline) {
  local_limiter local(fallback_);
  auto s = local.try_acquire(now, deadline);
  if (s) {
    fallback_used_.store(true, std::memory_order_release);
    fallback_slots_.fetch_add(1, std::memory_order_relaxed);
    const auto pushed_by = after_push(s->ready_at) - s->ready_at;
    s->ready_at += pushed_by;
    s->use_by += pushed_by;
    if (s->ready_at > deadline) {
      local.release(*s);
      return failure(errc::deadline_too_short, "the rate limiter's next slot comes after the call's deadline");
    }
  }
  return s;
}

asio::awaitable<result<slot>> redis_limiter::acquire(clock::time_point deadline) {
  if (options_.lease > 1) {
    if (auto leased = take_leased(clock::now())) {
      const auto ready = after_push(*leased);
      if (ready > deadline) co_return failure(errc::deadline_too_short, "the rate limiter's next slot comes after the call's deadline");
      admitted_.fetch_add(1, std::memory_order_relaxed);
      co_return slot{.ready_at = ready, .use_by = ready + slot_slack(microseconds(params_.interval_us))};
    }
  }
  const bool fallback_allowed = options_.when_unavailable == when_redis_unavailable::local_fallback;
  for (;;) {
    // A refusal (a wrong password, an untrusted certificate) is not Redis being away:
    // even with a fallback, the call fails with it at once.
    if (auto refused = client_->refusal()) co_return std::move(*refused);
    const auto now = clock::now();
    // Only when Redis is known to be away: a worker that is still making its first
    // connection waits for it (at most reply_timeout, below) rather than sending at once
    // on its local share — a whole fleet started together would burst past the schedule
    // that the others, or a 429 they saw, have put in Redis.
    if (fallback_allowed && client_->unreachable()) co_return from_fallback(now, deadline);
    if (now >= deadline) co_return failure(errc::timeout, "the shared rate limiter (Redis) did not answer before the call's deadline");

    // After a fallback period the shared schedule continues after this process's next
    // fallback slot, so that recovery never bursts above the limit.
    std::int64_t floor_us = 0;
    if (fallback_used_.load(std::memory_order_acquire)) {
      const auto next_local = clock::time_point(fallback_->ready_time(now.time_since_epoch()));
      floor_us = std::max<std::int64_t>(0, to_us(next_local - now));
    }
    // Behind Sentinel, a new master may lack the old one's last writes (replication is
    // asynchronous, and the old master still serves between the promotion and the
    // switch): its schedule continues after this process's latest slot.
    const auto masters = client_->master_changes();
    if (masters != masters_seen_.load(std::memory_order_acquire)) {
      const auto latest = clock::time_point(clock::duration(latest_slot_.load(std::memory_order_acquire)));
      floor_us = std::max(floor_us, to_us(latest - now) + params_.interval_us);
    }
    const std::int64_t max_wait_us = to_us(deadline - now);
    std::vector<std::string> args = {"EVALSHA", redis_gcra::script_sha1(), "1", key_, "A",
                                     std::to_string(params_.interval_us), std::to_string(params_.tolerance_us),
                                     std::to_string(options_.lease), std::to_string(max_wait_us), std::to_string(floor_us)};
    const auto round_deadline = fallback_allowed ? std::min(deadline, now + options_.reply_timeout) : deadline;
    auto reply = co_await eval(std::move(args), round_deadline);
    if (!reply) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      if (reply.code() == make_error_code(errc::cancelled) || is_refusal(reply.code())) co_return std::move(reply).error();
      if (fallback_allowed) co_return from_fallback(clock::now(), deadline);
      if (reply.code() == make_error_code(errc::io_error)) co_await pause_before_retry(deadline);  // e.g. LOADING
      continue;  // wait: ask again (the connection waits for Redis) until the deadline
    }
    const auto received = clock::now();
    const auto& r = *reply;
    if (r.type != redis_reply::kind::array || r.elements.size() < 3 ||
        r.elements[0].type != redis_reply::kind::integer || r.elements[1].type != redis_reply::kind::integer) {
      co_return failure(errc::protocol_error, "unexpected reply from the limiter script");
    }
    evals_.fetch_add(1, std::memory_order_relaxed);
    fallback_used_.store(false, std::memory_order_release);
    masters_seen_.store(masters, std::memory_order_release);
    const redis_gcra::step_result step{.granted = r.elements[0].integer, .base_offset = r.elements[1].integer};
    if (step.granted <= 0) {
      co_return failure(errc::deadline_too_short, "the rate limiter's next slot comes after the call's deadline");
    }
    // Offsets count from Redis's `now`, which was at most one round trip ago: counting
    // them from the reply's arrival errs on the late side only.
    auto ready_of = [&](std::int64_t k) { return received + microseconds(redis_gcra::slot_offset(step, params_, k)); };
    if (step.granted > 1) {
      std::lock_guard lock(lease_mutex_);
      for (std::int64_t k = 1; k < step.granted; ++k) leased_.push_back(ready_of(k));
    }
    admitted_.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t last = ready_of(step.granted - 1).time_since_epoch().count();
    std::int64_t seen = latest_slot_.load(std::memory_order_relaxed);
    while (seen < last && !latest_slot_.compare_exchange_weak(seen, last, std::memory_order_acq_rel)) {
    }
    const auto ready = after_push(ready_of(0));
    if (ready > deadline) co_return failure(errc::deadline_too_short, "the rate limiter's next slot comes after the call's deadline");
    slot out{.ready_at = ready, .use_by = ready + slot_slack(microseconds(params_.interval_us))};
    // A single grant can be given back (release) while the schedule has not moved since.
    if (step.granted == 1 && r.elements.size() >= 4) out.shared_tat = std::strtoll(r.elements[3].text.c_str(), nullptr, 10);
    co_return out;
  }
}

void redis_limiter::release(const slot& s) noexcept {
  // One from the fallback is returned like any local one; one from Redis only while no
  // other check, push or release has moved the schedule since (the Lua step compares).
  if (s.local) fallback_->cancel(*s.local);
  if (s.shared_tat == 0) return;
  try {
    releases_.fetch_add(1, std::memory_order_relaxed);
    send_step({"EVALSHA", redis_gcra::script_sha1(), "1", key_, "R", std::to_string(params_.interval_us),
               std::to_string(params_.tolerance_us), std::to_string(s.shared_tat)});
  } catch (const std::exception&) {  // allocation failure: the slot stays spent, which only slows
  }
}

void redis_limiter::raise_floor(clock::time_point until) noexcept {
  const std::int64_t target = until.time_since_epoch().count();
  std::int64_t seen = push_floor_.load(std::memory_order_relaxed);
  while (seen < target && !push_floor_.compare_exchange_weak(seen, target, std::memory_order_acq_rel)) {
  }
}

void redis_limiter::push_back_until(clock::time_point until) {
  // Here at once, for this process...
  raise_floor(until);
  fallback_->push_back_until(until.time_since_epoch());
  // ...and in Redis, for every process of the key.
  push_shared(std::max<std::int64_t>(0, to_us(until - clock::now())));
}

void redis_limiter::pace_from_headers(std::uint64_t remaining, std::optional<std::chrono::nanoseconds> reset,
                                      std::optional<std::uint64_t> server_limit) {
  std::optional<std::int64_t> reset_us;
  if (reset) reset_us = std::chrono::duration_cast<microseconds>(*reset).count();
  const auto wait = redis_gcra::pace_wait(remaining, reset_us, server_limit, params_);
  if (!wait) return;
  const auto now = clock::now();
  // Every response of an exhausted window says so: one push per new target is enough.
  const std::int64_t target = (now + microseconds(*wait)).time_since_epoch().count();
  std::int64_t seen = paced_until_.load(std::memory_order_relaxed);
  do {
    if (target <= seen + std::chrono::nanoseconds(microseconds(params_.interval_us)).count() / 2) return;
  } while (!paced_until_.compare_exchange_weak(seen, target, std::memory_order_acq_rel));
  if (remaining == 0) raise_floor(now + microseconds(*wait));
  paces_.fetch_add(1, std::memory_order_relaxed);
  push_shared(*wait);
}

void redis_limiter::push_shared(std::int64_t wait_us) {
  send_step({"EVALSHA", redis_gcra::script_sha1(), "1", key_, "P", std::to_string(params_.interval_us),
             std::to_string(params_.tolerance_us), std::to_string(wait_us)});
}

void redis_limiter::send_step(std::vector<std::string> args) {
  // Bounded and not awaited: a lost push only means the others see their own 429s, a
  // lost release only that the slot stays spent.
  const auto deadline = clock::now() + options_.reply_timeout;
  auto client = client_;
  asio::co_spawn(
      executor_,
      [client, args = std::move(args), deadline]() mutable -> asio::awaitable<void> {
        auto reply = co_await client->exec(args, deadline);
        if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
          std::vector<std::string> load = {"SCRIPT", "LOAD", std::string(redis_gcra::script())};
          co_await client->exec(std::move(load), deadline);
          co_await client->exec(std::move(args), deadline);
        }
      },
      asio::detached);
}

redis_limiter_stats redis_limiter::stats() const noexcept {
  return {.admitted = admitted_.load(std::memory_order_relaxed),
          .evals = evals_.load(std::memory_order_relaxed),
          .script_loads = script_loads_.load(std::memory_order_relaxed),
          .fallback_slots = fallback_slots_.load(std::memory_order_relaxed),
          .failures = failures_.load(std::memory_order_relaxed),
          .releases = releases_.load(std::memory_order_relaxed),
          .paces = paces_.load(std::memory_order_relaxed)};
}

namespace {

std::shared_ptr<limiter_backend> make(const asio::any_io_executor& executor, const redis_limiter_options& options,
                                      const rate_limit& rate, const std::string& identity) {
  return std::make_shared<redis_limiter>(executor, options, rate, identity);
}

// Installs the maker as the program starts: the core reaches codex_redis through it only.
const bool maker_installed = (install_redis_limiter_maker(&make), true);

}  // namespace

}  // namespace codex::limit

// The anchor of this object file: codex's link flags name it (-Wl,-u,codex_redis_support),
// so that a static link keeps the object, and with it the maker's installation, though
// no code of the program calls into it.
extern "C" {
extern const int codex_redis_support;
const int codex_redis_support = 1;
}
