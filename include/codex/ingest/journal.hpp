#pragma once
// codex::ingest::journal — what an ingest job has had acknowledged, on disk, so that
// a job killed at any moment (kill -9, power cut) and resumed sends again nothing the
// service stored and creates no duplicate.
//
// Design
// - The journal is one append-only file. Its first record is a header holding the
//   job id; every later record lists input positions, delta-encoded as ranges, that
//   the job settled for good: accepted (stored by the service) or rejected (refused
//   for good, e.g. 422; the rejects file holds their lines and reasons).
// - Each record is framed as [payload length: u32 LE][type: u8][payload][CRC-32 of
//   everything before it: u32 LE]. A torn last write (a crash inside write()) or a
//   damaged record fails its length or CRC check: loading stops at the first record
//   that does not verify, and opening for resume truncates the file there before
//   appending. Dropping records is always safe (below): their items are sent again.
// - Write ordering: the header is written and fdatasync'ed (and the directory
//   fsync'ed) before any batch is sent. A batch's settled positions are appended
//   and fdatasync'ed after its response arrives (and after its rejects are in the
//   rejects file) and before the ingester counts them or reports them to anyone.
// - Duplicates: items without a client id get one derived from (job id, position)
//   (see stable_id.hpp), so an item whose batch was in flight at the crash — stored
//   by the service but not yet journalled — is sent again as an upsert of the same
//   document, not a second document. The job id comes from the header, so a resumed
//   job derives the same ids; a caller that can derive the job id from the input
//   itself (the CLI does, from the input file) survives the loss of the journal too.
// - One job, one process: the file is locked (flock, exclusive) while it is open; a
//   second create() or open() of it fails at once with errc::job_locked.
// - A journal that cannot be resumed (missing, empty, torn or damaged header) is
//   never silently replaced: open() fails with errc::journal_damaged and leaves the
//   file as it is, so the caller decides (start again with the same job id, or stop).
//
// `--resume` semantics: journal::open(path) → skip every position in acknowledged()
// and rejected() → ingest the rest with the same journal. A new job: create(path).

#include <codex/ingest/position_set.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace codex::ingest {

namespace detail {
class durable_file;
}

/// What a journal's bytes say. Produced by read_journal().
struct journal_contents {
  bool has_header = false;           ///< the header record verified
  std::string job_id;                ///< from the header
  position_set acknowledged;         ///< positions of every verified "accepted" record
  position_set rejected;             ///< positions of every verified "rejected" record
  std::uint64_t records = 0;         ///< verified records, the header included
  std::uint64_t valid_bytes = 0;     ///< length of the verified prefix
  std::uint64_t discarded_bytes = 0; ///< bytes after it (a torn or damaged tail)
};

/// Parses journal bytes, stopping at the first record that does not verify. Pure;
/// never fails (a damaged file just yields a shorter verified prefix).
journal_contents read_journal(std::string_view bytes);

/// The header record of a journal for `job_id`. Pure.
std::string journal_header_record(std::string_view job_id);

/// The record acknowledging `positions` as accepted (any order, duplicates allowed). Pure.
std::string journal_ack_record(std::span<const std::uint64_t> positions);

/// The record of `positions` rejected for good (any order, duplicates allowed). Pure.
std::string journal_reject_record(std::span<const std::uint64_t> positions);

/// An open journal file.
///
/// Thread-safety: append() may be called concurrently (records are written whole,
/// one at a time, under a mutex); the accessors are immutable after open.
/// Errors: errc::file_error with the system's message (open, write, fdatasync,
/// ftruncate, flock); errc::job_locked when another process has the journal open;
/// errc::journal_damaged when open() finds no journal to resume; errc::invalid_argument
/// for a job id that is not 1 to 64 printable ASCII characters.
class journal {
 public:
  /// Starts a new job: locks `path` (created if missing), replaces what it held with
  /// a header for `job_id` (empty: 128 random bits, as hex) and makes it durable
  /// (fdatasync of the file, fsync of its directory).
  static result<std::shared_ptr<journal>> create(const std::filesystem::path& path, std::string job_id = {});

  /// Resumes a job: locks and reads `path`, drops a torn or damaged tail (truncating
  /// the file to its verified prefix), and opens it for appending. A missing or empty
  /// file, or one whose header does not verify, is errc::journal_damaged (the message
  /// names the file and says which); the file is then left untouched.
  static result<std::shared_ptr<journal>> open(const std::filesystem::path& path);

  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// The job id: the seed of the stable document ids.
  const std::string& job_id() const noexcept { return job_id_; }
  /// The positions accepted before this run (as loaded by open(); empty after
  /// create()). Positions appended since are not added here.
  const position_set& acknowledged() const noexcept { return acknowledged_; }
  /// The positions rejected for good before this run (as acknowledged()).
  const position_set& rejected() const noexcept { return rejected_; }
  /// Bytes of a torn or damaged tail that open() dropped.
  std::uint64_t discarded_bytes() const noexcept { return discarded_bytes_; }
  /// The journal file's path, as given to create() or open().
  const std::filesystem::path& path() const noexcept;

  /// Appends the records of `accepted` and `rejected` positions (one write) and
  /// fdatasyncs them; only then returns. Empty spans write nothing. Blocks the calling
  /// thread for the write and the sync. On failure the file is cut back to what it
  /// held before, so no partial record hides later ones.
  result<void> append(std::span<const std::uint64_t> accepted, std::span<const std::uint64_t> rejected = {});

 private:
  journal(detail::durable_file file, std::string job_id, journal_contents loaded);

  std::unique_ptr<detail::durable_file> file_;
  std::string job_id_;
  position_set acknowledged_;
  position_set rejected_;
  std::uint64_t discarded_bytes_;
  std::mutex mutex_;       // serializes append()
  std::uint64_t size_;     // bytes of verified records in the file; guarded by mutex_
};

}  // namespace codex::ingest
