#pragma once
// Fault injection as pure decisions: which fault a request suffers given uniform
// random draws, and how a planned response is cut for it (the service draws the
// numbers; tests pass chosen ones); and "fail the Nth step" of the server's I/O.

#include "emulator/config.hpp"
#include "emulator/https_server.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace codex::emulator {

enum class fault_kind {
  none,
  error_500,  ///< answer 500 instead of doing the work
  error_503,  ///< answer 503 instead of doing the work
  drop,       ///< do the work, reset the connection mid-response
  truncate,   ///< do the work, close (FIN) inside the body
};

/// Before the work: 500 with probability p500, else 503 with probability p503.
/// `u` is uniform in [0, 1).
fault_kind fault_before(const fault_options& faults, double u) noexcept;

/// After the work: drop with probability p_drop, else truncate with probability p_truncate.
fault_kind fault_after(const fault_options& faults, double u) noexcept;

/// Sets plan.cut_after / plan.reset for a drop or a truncation. `head_size` is the
/// size of the serialized status line and headers: a truncation cuts inside the
/// body (in the head when there is no body), a drop halfway through the whole.
void apply_cut(response_plan& plan, fault_kind kind, std::size_t head_size) noexcept;

// ---- "Fail the Nth step": deterministic, where the probabilities above are not ----

/// "accept", "handshake", "read", "write".
std::string_view to_string(step_kind kind) noexcept;
/// "none", "close", "reset", "stall", "truncate".
std::string_view to_string(step_action action) noexcept;
/// The inverse of to_string(step_action), for the actions that fail a step (not "none").
std::optional<step_action> parse_step_action(std::string_view name) noexcept;

/// The decision of the knob, as a small state with no I/O: it counts the steps it is
/// told of and says what to do with each. The server performs what it says.
/// Thread-safety: none (step_fault_switch guards one).
class step_schedule {
 public:
  /// The kinds of at most this many steps are kept (a clean exchange has a handful).
  static constexpr std::size_t max_logged = 64;

  explicit step_schedule(step_fault fault = {}) noexcept : fault_(fault) {}

  /// Counts one step: fault().action if it is the nth, else step_action::none.
  step_action next(step_kind kind);

  const step_fault& fault() const noexcept { return fault_; }
  /// Steps counted so far.
  std::uint64_t steps() const noexcept { return steps_; }
  /// The nth step was counted (and failed).
  bool fired() const noexcept { return fault_.n != 0 && steps_ >= fault_.n; }
  /// The kinds of the first max_logged steps, in order.
  const std::vector<step_kind>& log() const noexcept { return log_; }

 private:
  step_fault fault_;
  std::uint64_t steps_ = 0;
  std::vector<step_kind> log_;
};

/// One step_schedule shared by a server's connections; the server asks it at every
/// step, the emulator's control API (or a test) arms it. Only connections accepted
/// after the last arm() count, so that the connection that armed it — or one left over
/// from an earlier case — never shifts the count.
/// Thread-safety: every member may be called concurrently. Until the first arm(),
/// on_step() is one relaxed atomic load.
class step_fault_switch {
 public:
  /// A fresh count with `fault` (n = 0: count only, fail nothing).
  void arm(step_fault fault);
  /// Stops counting (the next arm() starts again).
  void disarm();
  /// What a connection takes when it is accepted, and gives to on_step().
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  /// Counts a step of a connection accepted in `generation`: none for an older one.
  step_action on_step(std::uint64_t generation, step_kind kind);
  /// The schedule so far; nullopt when not armed.
  std::optional<step_schedule> snapshot() const;

 private:
  std::atomic<bool> armed_{false};
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex mutex_;
  step_schedule schedule_;
};

}  // namespace codex::emulator
