#pragma once
// What becomes of each item of a batch call, and of a batch call that failed as a
// whole — pure decisions, tested with no socket and no clock.
//
// Two kinds of failure, never confused: an item *refused for good* (the service
// judged the item itself: 4xx other than 408, 409 and 429) goes to the rejects file;
// an item *not delivered* (a transport failure, 408/409/429/5xx, a revoked
// credential, a deadline) is sent again within the ingester's limits and, past them,
// stops the job — unjournalled, so that a resumed job sends it again.
//
// Per item (inside a 200 response): 2xx → accepted; 4xx except 408/409/429 → refused;
// anything else, or no usable result → sent again in a smaller batch, up to a number
// of attempts, then not delivered.
// A whole call that failed after the call path's own retries:
// - 400, 413, 422: the body's content was refused — a batch of several items is split
//   in halves (each sent alone), a batch of one refuses that item;
// - transient (408, 409, 429, 5xx, a dropped or timed-out connection, a failing token
//   endpoint, …): the same body is sent again with the same Idempotency-Key after
//   max(backoff, Retry-After), while attempts remain, the wait is at most max_wait and
//   ends before the batch's deadline; otherwise the job stops;
// - anything else (401, 403, 404, an untrusted certificate, …): the job stops.

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

/// 2xx → accepted; 400–499 except 408, 409, 429 → reject; anything else → retry. Pure.
item_verdict classify_item(int status) noexcept;

/// One item rejected for good: its index in the batch and the reason.
struct item_rejection {
  std::size_t index = 0;   ///< the item's position in the batch call's body
  int status = 0;          ///< HTTP status (per item or of the whole call); 0 when none
  std::string error;       ///< the service's code, or a codex::errc name
  std::string message;     ///< for people: the service's message, else the error's description
};

/// How the items of one batch call ended.
struct settlement {
  /// An item the service stored.
  struct accepted_item {
    std::size_t index = 0;  ///< the item's position in the batch call's body
    std::string id;         ///< the stored document's id, as the service answered
  };
  std::vector<accepted_item> accepted;   ///< in index order
  std::vector<std::size_t> retry;        ///< indices to send again, in index order
  std::vector<item_rejection> rejected;  ///< refused for good, in index order
  /// Would be sent again but have had their attempts: not delivered (the job stops),
  /// with their last status (0 and "missing_result" when no usable result came).
  std::vector<item_rejection> exhausted;
  std::uint64_t rate_limited = 0;        ///< items that came back 429
};

/// Settles every item of a batch of `attempts.size()` items from the service's answer.
/// `attempts[i]` is how many times item i has now been sent (this time included); an
/// item that would be retried but has had `max_item_attempts` is exhausted. A result
/// entry with an index out of range, or repeating an index, is ignored; an item with
/// no entry, or a 2xx without an id, counts as a retryable failure. Every index ends
/// in exactly one of the four lists. Pure.
settlement settle(const batch_result& answer, std::span<const std::uint32_t> attempts,
                  std::uint32_t max_item_attempts);

/// True if a call that failed as a whole may be sent again as it was. Pure.
bool is_transient_batch_failure(const error_info& failure) noexcept;

/// True if a call that failed as a whole was refused for its content (400, 413, 422):
/// some item of the body is at fault, not the service or the credential. Pure.
bool is_refused_content(const error_info& failure) noexcept;

/// How far the ingester goes for one batch before it stops the job.
struct batch_retry_limits {
  std::uint32_t max_attempts = 8;         ///< calls with one body
  std::chrono::milliseconds max_wait{60000};  ///< the longest wait before one re-send
  retry::backoff_policy backoff;          ///< the wait before a re-send, capped at max_wait; a longer Retry-After within max_wait wins
};

/// What to do after a batch call failed as a whole.
enum class batch_action {
  resend,  ///< the same body, same Idempotency-Key, after `delay`
  split,   ///< the body was refused for its content: send each half on its own
  refuse,  ///< a batch of one item refused for its content: that item is rejected
  stop,    ///< not delivered: the job stops with this failure
};

/// The outcome of decide_batch_failure() and decide_item_round().
struct batch_failure_decision {
  batch_action action = batch_action::stop;  ///< what to do
  std::chrono::milliseconds delay{0};  ///< for resend
  const char* why = "";                ///< for stop: which limit ended it ("" when the failure is not retryable)
};

/// The decision for a body of `items` items after its call number `attempts` failed
/// with `failure`, when `time_left` remains before the batch's deadline. Pure.
batch_failure_decision decide_batch_failure(const error_info& failure, std::size_t items, std::uint32_t attempts,
                                            std::chrono::milliseconds time_left, const batch_retry_limits& limits,
                                            std::uint64_t random_bits) noexcept;

/// The wait before round `round` (2 = the first re-send) of a batch's items answered
/// 408/409/429/5xx, or stop when that wait would pass the deadline. Pure.
batch_failure_decision decide_item_round(std::uint32_t round, std::chrono::milliseconds time_left,
                                         const batch_retry_limits& limits, std::uint64_t random_bits) noexcept;

/// The reason recorded for items rejected because their whole call failed: the
/// HTTP status and service code when a response came, else 0 and the errc's name.
item_rejection rejection_from(const error_info& failure, std::size_t index);

}  // namespace codex::ingest
