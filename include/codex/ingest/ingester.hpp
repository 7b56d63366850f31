#pragma once
// codex::ingester — pushes any number of documents through POST /documents/batch as
// fast as the credential's rate limit allows, with per-item accounting, bounded
// memory, and (with a journal) nothing lost or duplicated across a crash.
//
// How it works
// - add() encodes the item once (json::encode) and appends it to the filling batch.
//   The batch goes out when it reaches max_items, when the next item would take its
//   body past max_bytes (measured on the exact bytes sent, `{"items":[…]}` included),
//   when its first item has waited `linger`, or at finish() — and only when fewer
//   than max_in_flight batches are in flight (ingest/batch_policy.hpp decides).
// - Backpressure: when the filling batch must go out and every in-flight slot is
//   taken, add() waits. Items held at once never exceed max_items × (max_in_flight
//   + 1), whatever the input size or the server's speed; rejected items stream to the
//   rejects file, and the report keeps only the first few.
// - Each batch call goes through the client's whole call path (limiter, auth, retry)
//   with one Idempotency-Key kept across all its attempts, including the ingester's
//   own re-sends (ingest/item_outcome.hpp decides each step: re-send, split a body
//   refused for its content, refuse an item, or stop).
// - Two outcomes per item, never confused: *accepted*, or *rejected* — refused for
//   good for the item itself (a per-item 422, …): the rejects file. A failure that
//   says nothing about the item (the service down past the ingester's limits, a
//   revoked credential, 408/409/429/5xx to the last attempt, a deadline) *stops the
//   job*: nothing more is sent, add() throws that failure, the items in flight are
//   given up, and finish() reports them as not delivered (stopped_by says why).
//   Nothing not delivered is journalled, so a resumed job sends it again.
// - Every wait is bounded: a re-send waits max(backoff, Retry-After), never more than
//   max_wait, and a batch stops trying at batch_deadline. stop() ends the job at once,
//   whatever it waits for (a re-send, the limiter, a token, a slow response).
// - With a journal (ingest/journal.hpp), settled positions are made durable — the
//   rejects lines synced first, then the journal's record — before they are counted
//   or reported; items without an id get one derived from the journal's job id and
//   their position (ingest/stable_id.hpp), so a resumed job re-sends in-flight items
//   as upserts, never as duplicates; and add() skips an item an earlier run settled.

#include <codex/api/document.hpp>
#include <codex/ingest/journal.hpp>
#include <codex/ingest/rejects.hpp>
#include <codex/ingest/report.hpp>
#include <codex/retry/backoff.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace codex {

class client;

/// The ingester's options; every field has a default. Set with designated initialisers.
struct ingester_options {
  /// Items per batch call: 1 to 1,000 (the contract's limit).
  std::size_t max_items = 1000;
  /// Bytes of a batch body, exactly as sent (`{"items":[` … `]}` included): at most
  /// 8 MiB (the contract's limit, which the service checks on the same bytes).
  std::size_t max_bytes = 8u << 20;
  /// How long a batch's first item may wait for more before the batch goes out. 0:
  /// a batch goes out as soon as a slot is free.
  std::chrono::milliseconds linger{20};
  /// Batch calls in flight at once (≥ 1).
  std::size_t max_in_flight = 8;
  /// Calls made with one batch body (and one Idempotency-Key) before the job stops
  /// with the last failure — each call with the call path's own retries.
  std::uint32_t max_batch_attempts = 8;
  /// Times an item answered 408/409/429/5xx is sent before the job stops with that status.
  std::uint32_t max_item_attempts = 8;
  /// The wait before re-sending (a failed call's body, or the retryable items of a
  /// batch); a Retry-After that asks for longer wins, up to max_wait.
  retry::backoff_policy backoff{.initial = std::chrono::milliseconds(500), .max = std::chrono::seconds(30)};
  /// The longest the ingester waits before one re-send. A Retry-After longer than this
  /// stops the job (errc::rate_limited or the call's own error, with retry_after set)
  /// rather than sleeping for it.
  std::chrono::milliseconds max_wait = std::chrono::seconds(60);
  /// How long one batch keeps trying, all its calls and waits included, before the
  /// job stops with its last failure.
  std::chrono::milliseconds batch_deadline = std::chrono::minutes(10);
  /// Where accepted positions are made durable; null: no journal.
  std::shared_ptr<ingest::journal> journal;
  /// Seed of the stable ids given to items without one: derive_document_id(seed,
  /// position). Empty: the journal's job id when there is a journal, else items
  /// without an id are sent without one (the service picks it; a re-send after a
  /// crash would then create a duplicate).
  std::string id_seed;
  /// Each rejected item is written here, synced before the journal records it. An item
  /// already in the file (a resumed job: rejects_writer::resume()) is skipped. May be null.
  std::shared_ptr<ingest::rejects_writer> rejects;
  /// How many rejected items the report keeps (the first ones); all of them go to
  /// `rejects` and on_batch.
  std::size_t keep_rejected = 16;
  /// Called after each batch call that settled items, and for an item rejected before
  /// being sent (items = 1, status 0) — from whichever thread runs the call; must be
  /// thread-safe and must not block. The spans are valid during the call only.
  std::function<void(const ingest_batch_event&)> on_batch;
};

/// One input item with its position.
struct ingest_item {
  /// The item's input position (e.g. its line number); unique within a job, and the
  /// key of the journal and of stable ids. Must be below UINT64_MAX.
  std::uint64_t position = 0;
  /// The document to store. One that cannot be encoded (invalid UTF-8) or that alone
  /// would make a body over max_bytes is rejected without being sent; the service
  /// judges the rest (e.g. a title over document_limits::max_title_bytes: a 422).
  document_input document;
  /// Carried into rejected_item::original (e.g. the input line). May be empty.
  std::string original;
};

/// The batch ingester.
///
/// Thread-safety: add() and reject() may be called by any number of producers
/// concurrently, from any thread running the client's executor; progress(), stop()
/// and skip_if_settled() from any thread. finish() once, after every add() has returned.
/// Lifetime: `api` must outlive the ingester and every batch it has in flight; call
/// (and await) finish() before destroying the ingester.
/// Errors: the constructor throws codex::error (errc::invalid_argument) for invalid
/// options; add() and reject() throw codex::error (errc::invalid_argument) after
/// finish(), (errc::cancelled) when add()'s wait is cancelled, and the job's stopping
/// failure once it has stopped — that item is then not added. Failures of single
/// items are never thrown: they are counted and reported.
class ingester {
 public:
  /// An ingester sending through `api` (its credential, limiter and retries). Sends
  /// nothing until add(). Throws codex::error (errc::invalid_argument), naming the
  /// option, for max_items outside 1..1000, max_bytes over 8 MiB (or too small for
  /// any item), max_in_flight,
  /// max_batch_attempts or max_item_attempts of 0, a negative max_wait or a
  /// batch_deadline that is not positive.
  ingester(client& api, ingester_options options = {});
  /// Destroys the ingester; call (and await) finish() first (see above).
  ~ingester();
  ingester(const ingester&) = delete;
  ingester& operator=(const ingester&) = delete;

  /// Adds an item; waits while the pipeline is full (backpressure). Returns once the
  /// item is held by the ingester (not when it is stored: see finish() and on_batch).
  /// An item that an earlier run of the job settled is skipped (skip_if_settled()).
  asio::awaitable<void> add(ingest_item item);

  /// Records an item refused before it could be sent (e.g. a line that is not JSON):
  /// counted rejected, written to the rejects file, reported like any other. Skipped
  /// when an earlier run settled its position.
  void reject(rejected_item item);

  /// True (and counted in report.skipped) when an earlier run of the job settled
  /// `position`: accepted in the journal, or rejected — in the rejects file when there
  /// is one, else in the journal. Lets a caller skip decoding such an item.
  bool skip_if_settled(std::uint64_t position);

  /// Stops the job as soon as it can, whatever it waits for: nothing more is sent,
  /// batches in flight are cancelled (what they had settled stays settled), add()
  /// throws errc::cancelled, and finish() reports the rest as not delivered.
  /// Idempotent; thread-safe.
  void stop();

  /// Adds a document at the next automatic position (0, 1, 2, … counting only the
  /// calls of this overload). Do not mix with add(ingest_item) in one job.
  asio::awaitable<void> add(document_input document);

  /// Sends what is buffered, waits until every item is settled (or, once the job has
  /// stopped, until the batches in flight have ended), syncs the rejects file, and
  /// returns the report.
  asio::awaitable<ingest_report> finish();

  /// A snapshot of the counters. Thread-safe, lock-free.
  ingest_progress progress() const noexcept;

  /// The options the ingester was made with.
  const ingester_options& options() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace codex
