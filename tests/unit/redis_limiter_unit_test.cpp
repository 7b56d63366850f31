// The pure parts of the Redis limiter: the GCRA step the Lua script implements (checked
// against limit::gcra, the in-process limiter), the limiter URL and Redis URL parsers,
// and RESP formatting. No socket, no clock.

#include "limit/redis_client.hpp"
#include "limit/redis_gcra.hpp"

#include <codex/limit/limiter_options.hpp>
#include "limit/gcra.hpp"

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

TEST_CASE("redis gcra step: X-RateLimit-* pacing is limit::gcra's pace_from_headers on the shared schedule", "[redis][gcra]") {
  for (const auto rate : {rate_limit{.limit = 1000, .period = 60s, .burst = 1}, rate_limit{.limit = 600, .period = 60s, .burst = 5}}) {
    const auto p = params_of(rate);
    for (std::uint64_t remaining = 0; remaining <= rate.burst + 1; ++remaining) {
      for (const auto reset : {std::optional<std::chrono::nanoseconds>{}, std::optional<std::chrono::nanoseconds>{3s},
                               std::optional<std::chrono::nanoseconds>{60s}}) {
        for (const auto server_limit : {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{10},
                                        std::optional<std::uint64_t>{5000}}) {
          const std::int64_t now = 1'700'000'000'000'000;
          gcra reference(rate);
          const bool moved = reference.pace_from_headers(remaining, reset, server_limit, std::chrono::microseconds(now));
          std::optional<std::int64_t> reset_us;
          if (reset) reset_us = std::chrono::duration_cast<std::chrono::microseconds>(*reset).count();
          const auto wait = redis_gcra::pace_wait(remaining, reset_us, server_limit, p);
          INFO("burst " << rate.burst << ", remaining " << remaining);
          REQUIRE(moved == wait.has_value());
          if (!wait) continue;
          // The same slots from then on: `remaining` at once, then the server's spacing.
          std::int64_t tat = redis_gcra::push(0, now, p, *wait);
          for (std::uint64_t k = 0; k < remaining + 2; ++k) {
            const auto step = redis_gcra::acquire(tat, now, p, 1, std::int64_t{1} << 50, 0);
            const auto expected = reference.reserve(std::chrono::microseconds(now));
            CHECK(now + redis_gcra::slot_offset(step, p, 0) ==
                  std::chrono::duration_cast<std::chrono::microseconds>(expected.ready_at).count());
            tat = step.tat;
          }
        }
      }
    }
  }
}

TEST_CASE("redis gcra step: a release gives back the last slot only while the schedule has not moved", "[redis][gcra]") {
  const redis_gcra::params p{.interval_us = 100'000, .tolerance_us = 0};
  const std::int64_t now = 1'700'000'000'000'000;
  const auto first = redis_gcra::acquire(0, now, p, 1, 1'000'000, 0);
  const auto second = redis_gcra::acquire(first.tat, now, p, 1, 1'000'000, 0);
  CHECK(redis_gcra::release(second.tat, now, p, second.tat) == first.tat);  // as if never taken
  const auto third = redis_gcra::acquire(second.tat, now, p, 1, 1'000'000, 0);
  CHECK(redis_gcra::release(third.tat, now, p, second.tat) == third.tat);   // passed by another check
  CHECK(redis_gcra::release(first.tat, now + 200'000, p, first.tat) == first.tat);  // already in the past
}

TEST_CASE("the script's SHA-1 is that of its text", "[redis]") {
  CHECK(redis_gcra::script_sha1().size() == 40);
  CHECK(redis_gcra::script().find("redis.call('TIME')") != std::string_view::npos);
}

TEST_CASE("limiter URLs", "[redis][config]") {
  CHECK(std::holds_alternative<local_limiter_options>(parse_limiter_url("local").value()));
  CHECK(std::holds_alternative<local_limiter_options>(parse_limiter_url("").value()));
  auto redis = parse_limiter_url("redis://10.0.0.5:6380/2?on_down=local&share=0.25&lease=4&timeout_ms=300");
  REQUIRE(redis);
  const auto& options = std::get<redis_limiter_options>(*redis);
  CHECK(options.url == "redis://10.0.0.5:6380/2");
  CHECK(options.when_unavailable == when_redis_unavailable::local_fallback);
  CHECK(options.fallback_share == 0.25);
  CHECK(options.lease == 4);
  CHECK(options.reply_timeout == 300ms);
  CHECK(std::get<redis_limiter_options>(parse_limiter_url("unix:///run/redis.sock").value()).url == "unix:///run/redis.sock");
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x", "redis://u:p%zz@h",
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

TEST_CASE("Redis endpoints with a user, a password and TLS: the password only in the secret", "[redis]") {
  auto full = parse_redis_endpoint("rediss://codex:s%3Acr%40t/x@redis.example:6380/2").value();
  CHECK(full.tls);
  CHECK(full.user == "codex");
  CHECK(full.password.reveal() == "s:cr@t/x");
  CHECK(full.host == "redis.example");
  CHECK(full.port == 6380);
  CHECK(full.db == 2);
  CHECK(full.to_string() == "rediss://codex@redis.example:6380/2");
  // An unescaped '@' in the password: the last '@' ends the user information.
  auto raw = parse_redis_endpoint("redis://:p@ss@h").value();
  CHECK(raw.user.empty());
  CHECK(raw.password.reveal() == "p@ss");
  CHECK(raw.to_string() == "redis://h:6379/0");
  auto odd_user = parse_redis_endpoint("redis://a%20b@h").value();
  CHECK(odd_user.user == "a b");
  CHECK(odd_user.password.empty());
  CHECK(odd_user.to_string() == "redis://a%20b@h:6379/0");
  for (const char* bad : {"redis://u:pw%4@h", "redis://u:pw%g0@h", "rediss://u:topsecret@", "redis://u:topsecret@h:0"}) {
    INFO(bad);
    auto parsed = parse_redis_endpoint(bad);
    REQUIRE(!parsed);
    CHECK(parsed.code() == codex::errc::invalid_argument);
    CHECK(parsed.error().message.find("topsecret") == std::string::npos);
    CHECK(parsed.error().message.find("pw") == std::string::npos);
  }
}

TEST_CASE("the handshake: AUTH (with the ACL user) and SELECT, and what refusals mean", "[redis]") {
  auto plain = parse_redis_endpoint("redis://h").value();
  CHECK(handshake_steps(plain).empty());
  auto with_db = parse_redis_endpoint("redis://h/4").value();
  CHECK(handshake_steps(with_db) == std::vector<handshake_step>{handshake_step::select});
  CHECK(format_handshake(with_db, handshake_steps(with_db)) == format_redis_command({"SELECT", "4"}));
  auto user = parse_redis_endpoint("redis://codex:pw1@h/4").value();
  CHECK(handshake_steps(user) == std::vector<handshake_step>{handshake_step::auth, handshake_step::select});
  CHECK(format_handshake(user, handshake_steps(user)) ==
        format_redis_command({"AUTH", "codex", "pw1"}) + format_redis_command({"SELECT", "4"}));
  auto default_user = parse_redis_endpoint("redis://:pw2@h").value();
  CHECK(format_handshake(default_user, handshake_steps(default_user)) == format_redis_command({"AUTH", "pw2"}));

  const redis_reply ok{.type = redis_reply::kind::status, .text = "OK"};
  CHECK(!handshake_refusal(handshake_step::auth, ok, user));
  CHECK(!handshake_refusal(handshake_step::select, ok, user));
  const redis_reply wrong{.type = redis_reply::kind::error, .text = "WRONGPASS invalid username-password pair or user is disabled."};
  auto refused = handshake_refusal(handshake_step::auth, wrong, user);
  REQUIRE(refused);
  CHECK(refused->code == codex::errc::credentials_rejected);
  CHECK(refused->message == "Redis at redis://codex@h:6379/4 refused the password of user 'codex': " + wrong.text);
  CHECK(is_refusal(refused->code));
  // Should Redis ever echo the password, the message masks it.
  const redis_reply echoed{.type = redis_reply::kind::error, .text = "ERR bad pw1 here"};
  CHECK(handshake_refusal(handshake_step::auth, echoed, user)->message.find("pw1") == std::string::npos);
  const redis_reply range{.type = redis_reply::kind::error, .text = "ERR DB index is out of range"};
  CHECK(handshake_refusal(handshake_step::select, range, user)->code == codex::errc::invalid_argument);
  CHECK(handshake_refusal(handshake_step::auth, redis_reply{.type = redis_reply::kind::integer}, user)->code ==
        codex::errc::protocol_error);
  CHECK(!is_refusal(make_error_code(codex::errc::timeout)));
  CHECK(!is_refusal(make_error_code(codex::errc::connection_closed)));
  CHECK(is_refusal(make_error_code(codex::errc::certificate_rejected)));
}

TEST_CASE("limiter URLs with credentials and TLS: the password moves to the options' secret", "[redis][config]") {
  auto parsed = parse_limiter_url("rediss://codex:hunter2@10.0.0.5:6380/1?ca_file=/etc/redis/ca.pem&cert=/c.pem&key=/c.key&lease=2");
  REQUIRE(parsed);
  const auto& options = std::get<redis_limiter_options>(*parsed);
  CHECK(options.url == "rediss://codex@10.0.0.5:6380/1");
  CHECK(options.password.reveal() == "hunter2");
  CHECK(options.tls.ca_file == "/etc/redis/ca.pem");
  CHECK(options.tls.client_certificate_file == "/c.pem");
  CHECK(options.tls.client_key_file == "/c.key");
  CHECK(options.lease == 2);
  CHECK(codex::limit::redis("redis://:hunter2@h:1/0").url == "redis://h:1/0");
  CHECK(codex::limit::redis("redis://:hunter2@h:1/0").password.reveal() == "hunter2");
  CHECK(parse_limiter_url("redis://h?ca_file=/x").code() == codex::errc::invalid_argument);  // TLS only
  CHECK(parse_limiter_url("rediss://h?ca_file=").code() == codex::errc::invalid_argument);
  for (const char* bad : {"redis://u:hunter2@h?hunter2", "redis://u:hunter2@h?hunter2=1", "redis://u:hun?ter2@h"}) {
    INFO(bad);
    auto refused = parse_limiter_url(bad);
    REQUIRE(!refused);
    CHECK(refused.error().message.find("ter2") == std::string::npos);
  }
}

TEST_CASE("Sentinel URLs, the Sentinel's answer, ROLE and READONLY", "[redis][sentinel]") {
  auto ep = parse_redis_endpoint("redis+sentinel://codex:pw@10.0.0.1:26380,[::1],s3/mymaster/2").value();
  REQUIRE(ep.is_sentinel());
  CHECK(ep.sentinels == std::vector<sentinel_address>{{"10.0.0.1", 26380}, {"::1", 26379}, {"s3", 26379}});
  CHECK(ep.master_name == "mymaster");
  CHECK(ep.db == 2);
  CHECK(ep.user == "codex");
  CHECK(ep.password.reveal() == "pw");
  CHECK(ep.to_string() == "redis+sentinel://codex@10.0.0.1:26380,[::1]:26379,s3:26379/mymaster/2");
  CHECK(handshake_steps(ep) == std::vector<handshake_step>{handshake_step::auth, handshake_step::select, handshake_step::role});
  CHECK(parse_redis_endpoint("redis+sentinel://h1/m").value().db == 0);
  for (const char* bad : {"redis+sentinel://h1", "redis+sentinel://h1/", "redis+sentinel:///m", "redis+sentinel://h:0/m",
                          "redis+sentinel://h/m/x"}) {
    INFO(bad);
    CHECK(parse_redis_endpoint(bad).code() == codex::errc::invalid_argument);
  }
  auto limiter = parse_limiter_url("redis+sentinel://:pw@h1,h2/mymaster?on_down=wait");
  REQUIRE(limiter);
  CHECK(std::get<redis_limiter_options>(*limiter).url == "redis+sentinel://h1:26379,h2:26379/mymaster/0");

  using kind = redis_reply::kind;
  const redis_reply address{.type = kind::array,
                            .elements = {{.type = kind::string, .text = "127.0.0.1"}, {.type = kind::string, .text = "6380"}}};
  CHECK(master_from_sentinel(address) == sentinel_address{"127.0.0.1", 6380});
  CHECK(!master_from_sentinel(redis_reply{.type = kind::nil}));
  CHECK(!master_from_sentinel(redis_reply{.type = kind::error, .text = "IDONTKNOW"}));
  const redis_reply bad_port{.type = kind::array,
                             .elements = {{.type = kind::string, .text = "h"}, {.type = kind::string, .text = "0"}}};
  CHECK(!master_from_sentinel(bad_port));

  const redis_reply master{.type = kind::array, .elements = {{.type = kind::string, .text = "master"}}};
  const redis_reply replica{.type = kind::array, .elements = {{.type = kind::string, .text = "slave"}}};
  CHECK(!handshake_refusal(handshake_step::role, master, ep));
  auto not_master = handshake_refusal(handshake_step::role, replica, ep);
  REQUIRE(not_master);
  CHECK(!is_refusal(not_master->code));  // asked again, not failed for good
  CHECK(is_not_master(redis_reply{.type = kind::error, .text = "READONLY You can't write against a read only replica."}));
  CHECK(is_not_master(redis_reply{.type = kind::error, .text = "ERR Error running script: READONLY You can't write"}));
  CHECK(!is_not_master(redis_reply{.type = kind::error, .text = "NOSCRIPT"}));
  CHECK(!is_not_master(redis_reply{.type = kind::string, .text = "READONLY"}));

  auto message = [](std::string channel, std::string text) {
    return redis_reply{.type = kind::array,
                       .elements = {{.type = kind::string, .text = "message"}, {.type = kind::string, .text = std::move(channel)},
                                    {.type = kind::string, .text = std::move(text)}}};
  };
  CHECK(is_switch_of(message("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"), "mymaster"));
  CHECK(!is_switch_of(message("+switch-master", "mymaster2 127.0.0.1 6379 127.0.0.1 6380"), "mymaster"));
  CHECK(!is_switch_of(message("+sdown", "mymaster 127.0.0.1 6379"), "mymaster"));
  CHECK(!is_switch_of(redis_reply{.type = kind::string, .text = "mymaster"}, "mymaster"));
}

TEST_CASE("RESP formatting through hiredis", "[redis]") {
  CHECK(format_redis_command({"SET", "k", "a b"}) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n");
  CHECK(format_redis_command({"GET", std::string("\0x", 2)}) == std::string("*2\r\n$3\r\nGET\r\n$2\r\n\0x\r\n", 21));
}
