// The "fail the Nth step" knob as a decision, with no server: which step fails, once;
// what the shared switch counts and for whom; and the names the control API reads.

#include "emulator/faults.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace codex::emulator;

TEST_CASE("step_schedule: the nth step fails, once, with the action asked for", "[emulator][faults]") {
  step_schedule schedule{{.n = 3, .action = step_action::reset}};
  CHECK(schedule.next(step_kind::accept) == step_action::none);
  CHECK(schedule.next(step_kind::handshake) == step_action::none);
  CHECK_FALSE(schedule.fired());
  CHECK(schedule.next(step_kind::read) == step_action::reset);
  CHECK(schedule.fired());
  // Past it nothing fails again: a retry on a fresh connection goes through.
  CHECK(schedule.next(step_kind::accept) == step_action::none);
  CHECK(schedule.next(step_kind::write) == step_action::none);
  CHECK(schedule.steps() == 5);
  CHECK(schedule.log() == std::vector<step_kind>{step_kind::accept, step_kind::handshake, step_kind::read,
                                                 step_kind::accept, step_kind::write});
}

TEST_CASE("step_schedule: n = 0 counts and never fails; the log is bounded", "[emulator][faults]") {
  step_schedule schedule;
  for (std::size_t i = 0; i < step_schedule::max_logged + 10; ++i) {
    REQUIRE(schedule.next(step_kind::read) == step_action::none);
  }
  CHECK_FALSE(schedule.fired());
  CHECK(schedule.steps() == step_schedule::max_logged + 10);
  CHECK(schedule.log().size() == step_schedule::max_logged);
}

TEST_CASE("step_fault_switch: only connections accepted after arm() count", "[emulator][faults]") {
  step_fault_switch knob;
  const auto before = knob.generation();
  CHECK(knob.on_step(before, step_kind::accept) == step_action::none);
  CHECK_FALSE(knob.snapshot());  // never armed: nothing counted

  knob.arm({.n = 2, .action = step_action::stall});
  const auto current = knob.generation();
  CHECK(current != before);
  // A connection left over from before (say, the one that armed the knob) is not counted.
  CHECK(knob.on_step(before, step_kind::read) == step_action::none);
  CHECK(knob.on_step(current, step_kind::accept) == step_action::none);
  CHECK(knob.on_step(current, step_kind::handshake) == step_action::stall);
  REQUIRE(knob.snapshot());
  CHECK(knob.snapshot()->steps() == 2);
  CHECK(knob.snapshot()->fired());

  knob.arm({.n = 1, .action = step_action::close});  // a fresh count, a new generation
  CHECK(knob.on_step(current, step_kind::read) == step_action::none);
  CHECK(knob.on_step(knob.generation(), step_kind::accept) == step_action::close);

  knob.disarm();
  CHECK(knob.on_step(knob.generation(), step_kind::accept) == step_action::none);
  CHECK_FALSE(knob.snapshot());
}

TEST_CASE("step_fault_switch: steps from many threads are each counted once", "[emulator][faults][mt]") {
  step_fault_switch knob;
  knob.arm({.n = 500, .action = step_action::truncate});
  const auto generation = knob.generation();
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        if (knob.on_step(generation, step_kind::write) != step_action::none) ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed == 1);
  CHECK(knob.snapshot()->steps() == 1000);
}

TEST_CASE("step names: each action and kind reads back", "[emulator][faults]") {
  for (auto action : {step_action::close, step_action::reset, step_action::stall, step_action::truncate}) {
    CHECK(parse_step_action(to_string(action)) == action);
  }
  CHECK_FALSE(parse_step_action("none"));  // not a way to fail a step
  CHECK_FALSE(parse_step_action("RESET"));
  CHECK(to_string(step_kind::handshake) == "handshake");
}

TEST_CASE("config: faults.fail_step is read, validated, and leaves the rest alone", "[emulator][faults]") {
  service_options options;
  std::string json = R"({"faults":{"p500":0.5,"fail_step":{"n":7,"action":"truncate"}}})";
  json.reserve(json.size() + 64);
  REQUIRE(apply_config_json(options, json).empty());
  REQUIRE(options.faults.fail_step);
  CHECK(*options.faults.fail_step == step_fault{.n = 7, .action = step_action::truncate});
  CHECK(options.faults.p500 == 0.5);

  for (std::string bad : {R"({"faults":{"fail_step":{"n":-1}}})", R"({"faults":{"fail_step":{"action":"explode"}}})",
                          R"({"faults":{"fail_step":{"n":1,"when":2}}})", R"({"faults":{"fail_step":3}})"}) {
    bad.reserve(bad.size() + 64);
    service_options unchanged;
    CHECK_FALSE(apply_config_json(unchanged, bad).empty());
    CHECK_FALSE(unchanged.faults.fail_step);
  }
}
