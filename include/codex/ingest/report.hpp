#pragma once
// What an ingest did: the items it rejected for good, the final report, a progress
// snapshot, and the event the ingester reports after each batch call.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace codex {

/// An input item rejected for good.
struct rejected_item {
  std::uint64_t position = 0;  ///< the item's input position (e.g. its line number)
  int status = 0;              ///< HTTP status: the item's own (422, …) or its batch call's (413, 401, …); 0 when no response decided it (a local check, a transport failure)
  std::string error;           ///< the service's code ("invalid_field", …), else a codex::errc name ("timeout", …)
  std::string message;         ///< for people
  std::string original;        ///< what the caller passed with the item (e.g. the input line)

  friend bool operator==(const rejected_item&, const rejected_item&) = default;
};

/// An input item the service stored.
struct accepted_item {
  std::uint64_t position = 0;
  std::string id;  ///< the document's id
};

/// The result of an ingest: every added item is counted once, in accepted or rejected.
struct ingest_report {
  std::uint64_t added = 0;          ///< items passed to add()
  std::uint64_t accepted = 0;       ///< stored by the service
  std::uint64_t rejected = 0;       ///< rejected for good (rejected_items holds them, if kept)
  std::vector<rejected_item> rejected_items;  ///< by completion order; empty if options.keep_rejected is off
  std::uint64_t retried = 0;        ///< item sends beyond each item's first (whole-batch retries count every item)
  std::uint64_t batch_retries = 0;  ///< batch calls that re-sent a body after its call failed as a whole
  std::uint64_t batches = 0;        ///< POST /documents/batch calls made (each through the call path's own retries)
  std::uint64_t rate_limited = 0;   ///< 429s the ingester saw: batch calls that ended in 429, and items answered 429. 429s absorbed by the call path's retries are reported to the client's observer (call_report::retries)
  std::chrono::nanoseconds duration{};  ///< from the first add() to the end of finish()
  double items_per_second = 0;      ///< (accepted + rejected) / duration
  /// items_per_second ÷ (client rate limit per second × max_items): how close the
  /// ingest came to the bound the rate limit sets. 0 when unknown.
  double fraction_of_bound = 0;
  std::uint64_t peak_buffered = 0;  ///< the most items held at once (see ingest_progress::buffered)
  /// The first failure to write the journal or the rejects file, if any. Items whose
  /// journal record failed are still counted accepted (the service stored them); a
  /// resumed job sends them again, as upserts of the same documents.
  std::error_code io_error;
  std::string io_message;
};

/// A snapshot of an ingest's counters, for progress displays. Each counter is read
/// atomically; the set is not one consistent cut.
struct ingest_progress {
  std::uint64_t added = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t in_flight = 0;      ///< batch calls under way (their retries included)
  std::uint64_t batches = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t buffered = 0;       ///< items added and not yet settled: the memory bound is max_items × (max_in_flight + 1)
  std::uint64_t peak_buffered = 0;
};

/// Reported after each batch call that settled items (see ingester_options::on_batch).
struct ingest_batch_event {
  std::size_t items = 0;                          ///< items in the call
  int status = 0;                                 ///< the call's HTTP status (200), or its failure's (0 for transport)
  std::span<const accepted_item> accepted;        ///< settled accepted, already journalled
  std::span<const rejected_item> rejected;        ///< settled rejected
  std::size_t retrying = 0;                       ///< items that will be sent again
  std::chrono::nanoseconds latency{};             ///< of the call, retries included
};

}  // namespace codex
