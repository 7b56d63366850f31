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

}  // namespace codex::emulator
