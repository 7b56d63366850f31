#pragma once
// Counters per credential, as GET /_emulator/stats reports them.

#include <cstdint>
#include <map>
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
///  "tokens_issued": …, "batch_items_accepted": …}, …}, "documents": N}. Thread-safe.
std::string stats_to_json(const stats_table& table, std::size_t documents);

}  // namespace codex::emulator
