// The pure parts of the Redis limiter: the GCRA step the Lua script implements (checked
// against limit::gcra, the in-process limiter), the limiter URL and Redis URL parsers,
// and RESP formatting. No socket, no clock.

#include "limit/redis_client.hpp"
#include "limit/redis_gcra.hpp"

#include <codex/limit/backend.hpp>
#include <codex/limit/gcra.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace codex::limit;
using namespace std::chrono_literals;

namespace {

redis_gcra::params params_of(const rate_limit& rate) {
  const std::int64_t interval = rate.emission_interval().count() / 1000;
  return {.interval_us = interval, .tolerance_us = static_cast<std::int64_t>(rate.burst - 1) * interval};
}

}  // namespace

TEST_CASE("redis gcra step: one slot at a time is exactly limit::gcra's reserve", "[redis][gcra]") {
  for (const auto rate : {rate_limit{.limit = 1000, .period = 60s, .burst = 1},
                          rate_limit{.limit = 600, .period = 60s, .burst = 5},
                          rate_limit{.limit = 20, .period = 1s, .burst = 3}}) {
    const auto p = params_of(rate);
    gcra reference(rate);
    std::int64_t tat = 0;  // an absent key
    std::mt19937_64 random(42);
    std::int64_t now = 1'700'000'000'000'000;  // µs since 1970, as Redis's TIME gives
    for (int i = 0; i < 2000; ++i) {
      now += static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(2 * p.interval_us));
      const auto step = redis_gcra::acquire(tat, now, p, 1, std::int64_t{1} << 50, 0);
      const auto expected = reference.reserve(std::chrono::microseconds(now));
      REQUIRE(step.granted == 1);
      REQUIRE(now + redis_gcra::slot_offset(step, p, 0) ==
              std::chrono::duration_cast<std::chrono::microseconds>(expected.ready_at).count());
      tat = step.tat;
    }
  }
}

TEST_CASE("redis gcra step: nothing is committed when the first slot is past max_wait", "[redis][gcra]") {
  const redis_gcra::params p{.interval_us = 60'000, .tolerance_us = 0};
  const std::int64_t now = 1'000'000'000;
  const auto busy = redis_gcra::acquire(now + 500'000, now, p, 1, 100'000, 0);
  CHECK(busy.granted == 0);
  CHECK(busy.base_offset == 500'000);  // the wait it would have had
  CHECK(busy.tat == now + 500'000);    // unchanged
  const auto fits = redis_gcra::acquire(now + 500'000, now, p, 1, 500'000, 0);
  CHECK(fits.granted == 1);
  CHECK(redis_gcra::slot_offset(fits, p, 0) == 500'000);
  CHECK(fits.tat == now + 560'000);
}

TEST_CASE("redis gcra step: a lease is the same slots as that many single steps", "[redis][gcra]") {
  const redis_gcra::params p{.interval_us = 10'000, .tolerance_us = 20'000};  // burst 3
  const std::int64_t now = 5'000'000;
  const auto lease = redis_gcra::acquire(0, now, p, 8, 1'000'000, 0);
  REQUIRE(lease.granted == 8);
  std::int64_t tat = 0;
  for (std::int64_t k = 0; k < 8; ++k) {
    const auto single = redis_gcra::acquire(tat, now, p, 1, 1'000'000, 0);
    CHECK(redis_gcra::slot_offset(lease, p, k) == redis_gcra::slot_offset(single, p, 0));
    tat = single.tat;
  }
  CHECK(lease.tat == tat);
  // Only the slots ready within max_wait are leased.
  const auto short_lease = redis_gcra::acquire(0, now, p, 8, 25'000, 0);
  CHECK(short_lease.granted == 5);  // offsets 0, 0, 0, 10 ms, 20 ms
}

TEST_CASE("redis gcra step: a push and a floor only ever delay", "[redis][gcra]") {
  const redis_gcra::params p{.interval_us = 50'000, .tolerance_us = 100'000};
  const std::int64_t now = 9'000'000;
  CHECK(redis_gcra::push(0, now, p, 2'000'000) == now + 2'100'000);
  CHECK(redis_gcra::push(now + 5'000'000, now, p, 2'000'000) == now + 5'000'000);  // never backwards
  const auto after = redis_gcra::acquire(redis_gcra::push(0, now, p, 2'000'000), now, p, 1, 10'000'000, 0);
  CHECK(redis_gcra::slot_offset(after, p, 0) == 2'000'000);  // nothing before the Retry-After, no burst
  const auto floored = redis_gcra::acquire(0, now, p, 1, 10'000'000, 300'000);
  CHECK(redis_gcra::slot_offset(floored, p, 0) == 300'000);
}

TEST_CASE("the script's SHA-1 is that of its text", "[redis]") {
  CHECK(redis_gcra::script_sha1().size() == 40);
  CHECK(redis_gcra::script().find("redis.call('TIME')") != std::string_view::npos);
}

TEST_CASE("limiter URLs", "[redis][config]") {
  CHECK(std::holds_alternative<local_limiter>(parse_limiter_url("local").value()));
  CHECK(std::holds_alternative<local_limiter>(parse_limiter_url("").value()));
  auto redis = parse_limiter_url("redis://10.0.0.5:6380/2?on_down=local&share=0.25&lease=4&timeout_ms=300");
  REQUIRE(redis);
  const auto& options = std::get<redis_limiter_options>(*redis);
  CHECK(options.url == "redis://10.0.0.5:6380/2");
  CHECK(options.when_unavailable == when_redis_unavailable::local_fallback);
  CHECK(options.fallback_share == 0.25);
  CHECK(options.lease == 4);
  CHECK(options.reply_timeout == 300ms);
  CHECK(std::get<redis_limiter_options>(parse_limiter_url("unix:///run/redis.sock").value()).url == "unix:///run/redis.sock");
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x", "redis://u:p@h",
                          "unix://relative", "redis://h?on_down=never", "redis://h?share=0", "redis://h?share=2",
                          "redis://h?lease=0", "redis://h?nope=1", "redis://h?share"}) {
    INFO(bad);
    CHECK(parse_limiter_url(bad).code() == codex::errc::invalid_argument);
  }
  CHECK(codex::limit::redis("redis://h:1/0").url == "redis://h:1/0");
}

TEST_CASE("Redis endpoints", "[redis]") {
  auto tcp = parse_redis_endpoint("redis://127.0.0.1:6379/3").value();
  CHECK(tcp.host == "127.0.0.1");
  CHECK(tcp.port == 6379);
  CHECK(tcp.db == 3);
  CHECK(tcp.to_string() == "redis://127.0.0.1:6379/3");
  auto defaults = parse_redis_endpoint("redis://cache").value();
  CHECK(defaults.port == 6379);
  CHECK(defaults.db == 0);
  auto v6 = parse_redis_endpoint("redis://[::1]:7000").value();
  CHECK(v6.host == "::1");
  CHECK(v6.port == 7000);
  auto local = parse_redis_endpoint("unix:///tmp/r.sock").value();
  CHECK(local.is_unix());
  CHECK(local.path == "/tmp/r.sock");
}

TEST_CASE("RESP formatting through hiredis", "[redis]") {
  CHECK(format_redis_command({"SET", "k", "a b"}) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n");
  CHECK(format_redis_command({"GET", std::string("\0x", 2)}) == std::string("*2\r\n$3\r\nGET\r\n$2\r\n\0x\r\n", 21));
}
