#pragma once
// Which kernel the JSON writer's string scan uses: 32-byte AVX2 registers when the CPU
// has them (the default), else 16-byte SSE2 ones. A switch for tests, so that both
// kernels are checked on a machine that has AVX2.

namespace codex::json::detail {

/// Uses the AVX2 scan when `wanted` and the CPU has it; returns whether it is in use.
/// Not for concurrent use with encoding (tests switch it between cases).
bool use_wide_scan(bool wanted) noexcept;

}  // namespace codex::json::detail
