#pragma once
// What becomes of each item of a batch call, and of a batch call that failed as a
// whole — pure decisions, tested with no socket and no clock.
//
// Per item (inside a 200 response): 2xx → accepted; 408, 429, 5xx → sent again (up
// to a number of attempts); anything else (422, 400, 409, ...) → rejected for good.
// A whole call that failed after the call path's own retries: a transient failure
// (429, 5xx, 408, a dropped or timed-out connection, an exhausted retry budget, an
// Idempotency-Key still in progress) → the same body is sent again with the same
// Idempotency-Key after a backoff; a permanent one (401, 403, 413, 400, an
// untrusted certificate, ...) → every item of the batch is rejected with its reason.

#include <codex/api/batch.hpp>
#include <codex/error.hpp>
#include <codex/retry/backoff.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace codex::ingest {

/// The fate of one item given its per-item status.
enum class item_verdict { accepted, retry, reject };

/// 2xx → accepted; 408, 429, 500–599 → retry; anything else → reject. Pure.
item_verdict classify_item(int status) noexcept;

/// One item rejected for good: its index in the batch and the reason.
struct item_rejection {
  std::size_t index = 0;
  int status = 0;          ///< HTTP status (per item or of the whole call); 0 when none
  std::string error;       ///< the service's code, or a codex::errc name
  std::string message;
};

/// How the items of one batch call ended.
struct settlement {
  struct accepted_item {
    std::size_t index = 0;
    std::string id;
  };
  std::vector<accepted_item> accepted;   ///< in index order
  std::vector<std::size_t> retry;        ///< indices to send again, in index order
  std::vector<item_rejection> rejected;  ///< in index order
  std::uint64_t rate_limited = 0;        ///< items that came back 429
};

/// Settles every item of a batch of `attempts.size()` items from the service's answer.
/// `attempts[i]` is how many times item i has now been sent (this time included); an
/// item that would be retried but has had `max_item_attempts` is rejected with its
/// last status. A result entry with an index out of range, or repeating an index, is
/// ignored; an item with no entry counts as a retryable failure (status 0,
/// "missing_result"). Every index ends in exactly one of the three lists. Pure.
settlement settle(const batch_result& answer, std::span<const std::uint32_t> attempts,
                  std::uint32_t max_item_attempts);

/// True if a call that failed as a whole may be sent again as it was. Pure.
bool is_transient_batch_failure(const error_info& failure) noexcept;

/// The decision after a batch call failed as a whole.
struct batch_failure_decision {
  bool retry = false;                  ///< send the same body, same Idempotency-Key, after `delay`
  std::chrono::milliseconds delay{0};
};

/// Retry a transient failure after max(backoff.delay(attempts, random_bits),
/// Retry-After) while `attempts` (calls made for this body so far) < max_attempts;
/// otherwise stop (the caller rejects every item with the failure's reason). Pure.
batch_failure_decision decide_batch_failure(const error_info& failure, std::uint32_t attempts,
                                            std::uint32_t max_attempts, const retry::backoff_policy& backoff,
                                            std::uint64_t random_bits) noexcept;

/// The reason recorded for items rejected because their whole call failed: the
/// HTTP status and service code when a response came, else 0 and the errc's name.
item_rejection rejection_from(const error_info& failure, std::size_t index);

}  // namespace codex::ingest
