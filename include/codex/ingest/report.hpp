#pragma once
// What an ingest did: the items it rejected for good, the final report, a progress
// snapshot, and the event the ingester reports after each batch call.

#include <codex/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace codex {

/// An input item refused for good: by the service (for the item itself, e.g. 422), or
/// by a local check before sending (invalid JSON, an item too large for any batch).
struct rejected_item {
  std::uint64_t position = 0;  ///< the item's input position (e.g. its line number)
  int status = 0;              ///< HTTP status: the item's own (422, …) or that of a batch of this one item (413, …); 0 for a local check
  std::string error;           ///< the service's code ("invalid_field", …), else a local one ("invalid_json", "invalid_utf8", …)
  std::string message;         ///< for people
  std::string original;        ///< what the caller passed with the item (e.g. the input line)

  /// Field by field.
  friend bool operator==(const rejected_item&, const rejected_item&) = default;
};

/// An input item the service stored.
struct accepted_item {
  std::uint64_t position = 0;  ///< the item's input position (ingest_item::position)
  std::string id;  ///< the document's id
};

/// The result of an ingest: every added item is counted once, in accepted, rejected or
/// not_delivered.
struct ingest_report {
  std::uint64_t added = 0;          ///< items passed to add() and reject(), not counting skipped ones
  std::uint64_t accepted = 0;       ///< stored by the service, and journalled when there is a journal
  std::uint64_t rejected = 0;       ///< refused for good (in the rejects file, when there is one)
  /// Not settled when the job stopped (see stopped_by): never sent, sent without an
  /// answer, answered 408/409/429/5xx to the last attempt, or stored by the service
  /// but not journalled. A resumed job sends them again (as upserts of the same
  /// documents where they carry stable ids).
  std::uint64_t not_delivered = 0;
  std::uint64_t skipped = 0;        ///< settled by an earlier run of the job (journal or rejects file): not sent again
  std::vector<rejected_item> rejected_items;  ///< the first options.keep_rejected rejected items, by completion order
  std::uint64_t retried = 0;        ///< item sends beyond each item's first (whole-batch retries count every item)
  std::uint64_t batch_retries = 0;  ///< batch calls that re-sent a body after its call failed as a whole
  std::uint64_t batches = 0;        ///< POST /documents/batch calls made (each through the call path's own retries)
  std::uint64_t rate_limited = 0;   ///< 429s the ingester saw: batch calls that ended in 429, and items answered 429. 429s absorbed by the call path's retries are reported to the client's observer (call_report::retries)
  std::chrono::nanoseconds duration{};  ///< from the first add() to the end of finish()
  double items_per_second = 0;      ///< (accepted + rejected) / duration
  /// (accepted + rejected) ÷ the most the rate limit lets through in `duration`:
  /// max_items × (burst + duration × limit per second). 0 when no batch was sent.
  double fraction_of_bound = 0;
  std::uint64_t peak_buffered = 0;  ///< the most items held at once (see ingest_progress::buffered)
  /// Why the job stopped before every item was settled: the failure that ended it (a
  /// revoked credential, the service unreachable past the ingester's limits, the
  /// journal or rejects file failing to write, …), or errc::cancelled after stop().
  /// Empty when every added item was settled.
  std::optional<error_info> stopped_by;
};

/// A snapshot of an ingest's counters, for progress displays. Each counter is read
/// atomically; the set is not one consistent cut.
struct ingest_progress {
  std::uint64_t added = 0;          ///< so far; see ingest_report::added
  std::uint64_t accepted = 0;       ///< so far; see ingest_report::accepted
  std::uint64_t rejected = 0;       ///< so far; see ingest_report::rejected
  std::uint64_t not_delivered = 0;  ///< see ingest_report::not_delivered (non-zero only once the job stops)
  std::uint64_t skipped = 0;        ///< so far; see ingest_report::skipped
  std::uint64_t in_flight = 0;      ///< batch calls under way (their retries included)
  std::uint64_t batches = 0;        ///< so far; see ingest_report::batches
  std::uint64_t rate_limited = 0;   ///< so far; see ingest_report::rate_limited
  std::uint64_t buffered = 0;       ///< items added and not yet settled: the memory bound is max_items × (max_in_flight + 1)
  std::uint64_t peak_buffered = 0;  ///< the largest `buffered` so far
};

/// Reported after each batch call that settled items (see ingester_options::on_batch).
struct ingest_batch_event {
  std::size_t items = 0;                          ///< items in the call
  int status = 0;                                 ///< the call's HTTP status (200), or its failure's (0 for transport or a local rejection)
  std::span<const accepted_item> accepted;        ///< settled accepted, already journalled
  std::span<const rejected_item> rejected;        ///< settled rejected
  std::size_t retrying = 0;                       ///< items that will be sent again
  std::size_t not_delivered = 0;                  ///< items left unsettled: the job stops
  std::chrono::nanoseconds latency{};             ///< of the call, retries included
};

}  // namespace codex
