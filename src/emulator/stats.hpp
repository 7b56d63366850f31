#pragma once
// Counters per credential, as GET /_emulator/stats reports them.

#include "emulator/faults.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace codex::emulator {

/// What one credential (API key id, client id, or "anonymous") did.
struct credential_counters {
  std::uint64_t requests = 0;              ///< /v1 requests that passed authentication (token calls included)
  std::uint64_t ok = 0;                    ///< of which answered 2xx
  std::uint64_t rate_limited = 0;          ///< 429s sent
  std::uint64_t tokens_issued = 0;         ///< successful POST /auth/token
  std::uint64_t batch_items_accepted = 0;  ///< batch items stored (201/200 per item)
};

/// Ordered by credential id, so the JSON is stable.
using stats_table = std::map<std::string, credential_counters>;

/// {"credentials": {"<id>": {"requests": …, "ok": …, "rate_limited": …,
///  "tokens_issued": …, "batch_items_accepted": …}, …}, "documents": N,
///  "fail_step": {"n": …, "action": …, "steps": …, "fired": …, "log": ["accept", …]} or null}.
/// `fail_step`: the step knob's schedule, nullopt when it is not armed. Thread-safe.
std::string stats_to_json(const stats_table& table, std::size_t documents,
                          const std::optional<step_schedule>& fail_step = std::nullopt);

}  // namespace codex::emulator
