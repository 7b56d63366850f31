// Idempotency keys and replay safety.

#include <codex/retry/idempotency.hpp>

#include <catch2/catch.hpp>

#include <set>

using codex::net::http_method;
using codex::retry::is_replay_safe;

TEST_CASE("keys are idk_ + 32 hex digits of 128 random bits", "[idempotency]") {
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    const auto key = codex::retry::make_idempotency_key();
    REQUIRE(key.has_value());
    REQUIRE(key->size() == 4 + 32);
    CHECK(key->rfind("idk_", 0) == 0);
    CHECK(key->find_first_not_of("0123456789abcdef", 4) == std::string::npos);
    keys.insert(*key);
  }
  CHECK(keys.size() == 1000);
}

TEST_CASE("format_idempotency_key is pure", "[idempotency]") {
  std::array<std::uint8_t, 16> bits{};
  for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<std::uint8_t>(i * 17);
  CHECK(codex::retry::format_idempotency_key(bits) == "idk_00112233445566778899aabbccddeeff");
}

TEST_CASE("replay safety: idempotent methods, or an Idempotency-Key", "[idempotency]") {
  for (auto m : {http_method::get, http_method::head, http_method::put, http_method::delete_}) {
    CHECK(is_replay_safe(m, false));
    CHECK(is_replay_safe(m, true));
  }
  CHECK_FALSE(is_replay_safe(http_method::post, false));
  CHECK(is_replay_safe(http_method::post, true));
  CHECK_FALSE(is_replay_safe(http_method::patch, false));
  CHECK(is_replay_safe(http_method::patch, true));
  CHECK(codex::retry::idempotency_key_header == "Idempotency-Key");
}
