#include "emulator/faults.hpp"

namespace codex::emulator {

fault_kind fault_before(const fault_options& faults, double u) noexcept {
  if (u < faults.p500) return fault_kind::error_500;
  if (u < faults.p500 + faults.p503) return fault_kind::error_503;
  return fault_kind::none;
}

fault_kind fault_after(const fault_options& faults, double u) noexcept {
  if (u < faults.p_drop) return fault_kind::drop;
  if (u < faults.p_drop + faults.p_truncate) return fault_kind::truncate;
  return fault_kind::none;
}

void apply_cut(response_plan& plan, fault_kind kind, std::size_t head_size) noexcept {
  const std::size_t body = plan.body.size();
  if (kind == fault_kind::drop) {
    plan.cut_after = (head_size + body) / 2;
    plan.reset = true;
  } else if (kind == fault_kind::truncate) {
    plan.cut_after = body > 0 ? head_size + body / 2 : head_size / 2;
    plan.reset = false;
    plan.close = true;
  }
}

std::string_view to_string(step_kind kind) noexcept {
  switch (kind) {
    case step_kind::accept: return "accept";
    case step_kind::handshake: return "handshake";
    case step_kind::read: return "read";
    case step_kind::write: return "write";
  }
  return "unknown";
}

std::string_view to_string(step_action action) noexcept {
  switch (action) {
    case step_action::none: return "none";
    case step_action::close: return "close";
    case step_action::reset: return "reset";
    case step_action::stall: return "stall";
    case step_action::truncate: return "truncate";
  }
  return "unknown";
}

std::optional<step_action> parse_step_action(std::string_view name) noexcept {
  for (auto action : {step_action::close, step_action::reset, step_action::stall, step_action::truncate}) {
    if (name == to_string(action)) return action;
  }
  return std::nullopt;
}

step_action step_schedule::next(step_kind kind) {
  ++steps_;
  if (log_.size() < max_logged) log_.push_back(kind);
  return fault_.n != 0 && steps_ == fault_.n ? fault_.action : step_action::none;
}

void step_fault_switch::arm(step_fault fault) {
  std::lock_guard lock{mutex_};
  schedule_ = step_schedule{fault};
  generation_.fetch_add(1, std::memory_order_acq_rel);
  armed_.store(true, std::memory_order_release);
}

void step_fault_switch::disarm() {
  std::lock_guard lock{mutex_};
  armed_.store(false, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  schedule_ = step_schedule{};
}

step_action step_fault_switch::on_step(std::uint64_t generation, step_kind kind) {
  if (!armed_.load(std::memory_order_relaxed)) return step_action::none;
  std::lock_guard lock{mutex_};
  if (!armed_.load(std::memory_order_relaxed) || generation != generation_.load(std::memory_order_relaxed)) {
    return step_action::none;
  }
  return schedule_.next(kind);
}

std::optional<step_schedule> step_fault_switch::snapshot() const {
  std::lock_guard lock{mutex_};
  if (!armed_.load(std::memory_order_relaxed)) return std::nullopt;
  return schedule_;
}

}  // namespace codex::emulator
