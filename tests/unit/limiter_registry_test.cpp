// codex::limit::limiter_registry: one shared limiter per (credential, rate), no secret kept.

#include "limit/limiter_registry.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using codex::limit::credential_identity;
using codex::limit::limiter_registry;
using codex::limit::rate_limit;

TEST_CASE("credential_identity is a stable hash that does not reveal the credential", "[registry]") {
  const std::string key = "cdx_0123456789abcdef0123456789abcdef01234567";
  const auto id = credential_identity("api_key", "https://api.codex.dev/v1", key);
  CHECK(id.rfind("sha256:", 0) == 0);
  CHECK(id.size() == 7 + 64);
  CHECK(id.find(key) == std::string::npos);
  CHECK(id.find("0123456789abcdef0123") == std::string::npos);
  CHECK(id == credential_identity("api_key", "https://api.codex.dev/v1", key));
  CHECK(id != credential_identity("client", "https://api.codex.dev/v1", key));
  CHECK(id != credential_identity("api_key", "https://other.example/v1", key));
  // Field boundaries matter.
  CHECK(credential_identity("ab", "c", "d") != credential_identity("a", "bc", "d"));
}

TEST_CASE("the same identity and rate share one limiter", "[registry]") {
  limiter_registry registry;
  const auto id = credential_identity("api_key", "https://h/v1", "cdx_1");
  const auto a = registry.get(id, rate_limit{});
  const auto b = registry.get(id, rate_limit{});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->get() == b->get());
  CHECK(registry.size() == 1);

  SECTION("state is shared: a slot taken by one client is seen by the other") {
    (void)(*a)->reserve(1000s);
    CHECK((*b)->ready_time(1000s) == 1000s + 60ms);
  }
  SECTION("another rate is another limiter") {
    const auto c = registry.get(id, rate_limit{50, 1s, 1});
    REQUIRE(c.has_value());
    CHECK(c->get() != a->get());
    CHECK((*c)->rate() == rate_limit{50, 1s, 1});
  }
  SECTION("another identity is another limiter") {
    const auto c = registry.get(credential_identity("api_key", "https://h/v1", "cdx_2"), rate_limit{});
    REQUIRE(c.has_value());
    CHECK(c->get() != a->get());
  }
  SECTION("clear drops the registry's references only") {
    registry.clear();
    CHECK(registry.size() == 0);
    CHECK((*a)->rate() == rate_limit{});
    const auto fresh = registry.get(id, rate_limit{});
    REQUIRE(fresh.has_value());
    CHECK(fresh->get() != a->get());
  }
}

TEST_CASE("an invalid rate is refused with invalid_argument", "[registry]") {
  limiter_registry registry;
  const auto r = registry.get("sha256:x", rate_limit{0, 1s, 1});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.code() == codex::errc::invalid_argument);
  CHECK(registry.size() == 0);
}

TEST_CASE("the global registry is one object", "[registry]") {
  CHECK(&limiter_registry::global() == &limiter_registry::global());
}

TEST_CASE("concurrent lookups of one key all get the same limiter", "[registry][mt]") {
  limiter_registry registry;
  constexpr int thread_count = 8;
  std::vector<const void*> seen(thread_count);
  std::vector<std::thread> threads;
  for (int i = 0; i < thread_count; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        auto limiter = registry.get("sha256:shared", rate_limit{}).value();
        (void)limiter->reserve(1000s);
        seen[static_cast<std::size_t>(i)] = limiter.get();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(std::set<const void*>(seen.begin(), seen.end()).size() == 1);
  CHECK(registry.size() == 1);
}
