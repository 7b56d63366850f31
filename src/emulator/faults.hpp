#pragma once
// Fault injection as pure decisions: which fault a request suffers given uniform
// random draws, and how a planned response is cut for it. The service draws the
// numbers; tests pass chosen ones.

#include "emulator/config.hpp"
#include "emulator/https_server.hpp"

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

}  // namespace codex::emulator
