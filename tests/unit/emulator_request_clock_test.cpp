// The deadline each read of a request is held to: the idle limit, capped by the head's
// and the body's totals. Instants are plain values; no clock runs.
#include "emulator/request_clock.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using codex::emulator::request_clock;
using codex::emulator::request_stage;
using codex::emulator::request_time_limits;

namespace {

const request_time_limits limits{.idle = 60s, .head = 10s, .body = 30s};
const request_clock::time_point t0{};

}  // namespace

TEST_CASE("request clock: before the first byte only the idle limit applies", "[request_clock]") {
  request_clock timing;
  CHECK(timing.stage() == request_stage::awaiting);
  CHECK(timing.deadline(t0, limits) == t0 + 60s);
  CHECK(timing.deadline(t0 + 55s, limits) == t0 + 115s);
}

TEST_CASE("request clock: a trickled head ends at its total, however recent the last byte", "[request_clock]") {
  request_clock timing;
  timing.bytes_arrived(t0 + 5s);
  CHECK(timing.stage() == request_stage::head);
  CHECK(timing.deadline(t0 + 5s, limits) == t0 + 15s);
  // Later bytes do not restart the head's clock: that is what a slowloris relies on.
  timing.bytes_arrived(t0 + 14s);
  CHECK(timing.deadline(t0 + 14s, limits) == t0 + 15s);
  // A deadline already past stays past: the watchdog fires at once.
  CHECK(timing.deadline(t0 + 20s, limits) == t0 + 15s);
}

TEST_CASE("request clock: the idle limit still bounds each read inside the totals", "[request_clock]") {
  const request_time_limits short_idle{.idle = 2s, .head = 10s, .body = 30s};
  request_clock timing;
  timing.bytes_arrived(t0);
  CHECK(timing.deadline(t0 + 1s, short_idle) == t0 + 3s);
  timing.body_expected(t0 + 4s);
  CHECK(timing.deadline(t0 + 4s, short_idle) == t0 + 6s);
}

TEST_CASE("request clock: the body has its own total, from the end of the head", "[request_clock]") {
  request_clock timing;
  timing.bytes_arrived(t0);
  timing.body_expected(t0 + 9s);
  CHECK(timing.stage() == request_stage::body);
  CHECK(timing.deadline(t0 + 9s, limits) == t0 + 39s);
  CHECK(timing.deadline(t0 + 38s, limits) == t0 + 39s);
  // Bytes of the body do not move it either.
  timing.bytes_arrived(t0 + 20s);
  CHECK(timing.stage() == request_stage::body);
  CHECK(timing.deadline(t0 + 20s, limits) == t0 + 39s);
}

TEST_CASE("request clock: a 100 Continue restarts the body's clock", "[request_clock]") {
  request_clock timing;
  timing.bytes_arrived(t0);
  timing.body_expected(t0 + 1s);
  timing.body_expected(t0 + 3s);  // once the interim response was written
  CHECK(timing.deadline(t0 + 3s, limits) == t0 + 33s);
}
