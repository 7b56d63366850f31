#pragma once
// codex::ingest::journal — what an ingest job has had acknowledged, on disk, so that
// a job killed at any moment (kill -9, power cut) and resumed sends again nothing the
// service stored and creates no duplicate.
//
// Design
// - The journal is one append-only file. Its first record is a header holding the
//   job id (128 random bits, hex); every later record lists input positions whose
//   items the service accepted (stored), as delta-encoded ranges.
// - Each record is framed as [payload length: u32 LE][type: u8][payload][CRC-32 of
//   everything before it: u32 LE]. A torn last write (a crash inside write()) or a
//   damaged record fails its length or CRC check: loading stops at the first record
//   that does not verify, and opening for resume truncates the file there before
//   appending. Dropping records is always safe (below): their items are sent again.
// - Write ordering: the header is written and fdatasync'ed (and the directory
//   fsync'ed) before any batch is sent. A batch's accepted positions are appended
//   and fdatasync'ed after its response arrives and before the ingester counts them
//   as accepted or reports them to anyone.
// - Duplicates: items without a client id get one derived from (job id, position)
//   (see stable_id.hpp), so an item whose batch was in flight at the crash — stored
//   by the service but not yet journalled — is sent again as an upsert of the same
//   document, not a second document. The job id comes from the header, so a resumed
//   job derives the same ids.
// - Only accepted positions are journalled: items rejected for good (e.g. 422) are
//   sent again on resume and rejected again, so a resumed job's rejects file lists
//   every invalid item of the input, not only those of the last run.
//
// `--resume` semantics: journal::open(path) → skip every position in acknowledged()
// → ingest the rest with the same journal. A fresh job: journal::create(path).

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

/// What a journal's bytes say. Produced by read_journal().
struct journal_contents {
  bool has_header = false;           ///< the header record verified
  std::string job_id;                ///< from the header
  position_set acknowledged;         ///< every position of every verified record
  std::uint64_t records = 0;         ///< verified records, the header included
  std::uint64_t valid_bytes = 0;     ///< length of the verified prefix
  std::uint64_t discarded_bytes = 0; ///< bytes after it (a torn or damaged tail)
};

/// Parses journal bytes, stopping at the first record that does not verify. Pure;
/// never fails (a damaged file just yields a shorter verified prefix).
journal_contents read_journal(std::string_view bytes);

/// The header record of a journal for `job_id`. Pure.
std::string journal_header_record(std::string_view job_id);

/// The record acknowledging `positions` (any order, duplicates allowed). Pure.
std::string journal_ack_record(std::span<const std::uint64_t> positions);

/// An open journal file.
///
/// Thread-safety: append() may be called concurrently (records are written whole,
/// one at a time, under a mutex); the accessors are immutable after open.
/// Errors: errc::io_error with the system's message (open, write, fdatasync,
/// ftruncate), errc::decode_error for a journal whose header is damaged while
/// records follow it (its job id — hence its documents' ids — is lost).
class journal {
 public:
  /// Starts a new job: creates or truncates `path`, writes a header with a new job id
  /// and makes it durable (fdatasync of the file, fsync of its directory).
  static result<std::shared_ptr<journal>> create(const std::filesystem::path& path);

  /// Resumes a job: reads `path`, drops a torn or damaged tail (truncating the file to
  /// its verified prefix), and opens it for appending. A missing or empty file, or one
  /// holding only a torn header, starts a new job as create() does.
  static result<std::shared_ptr<journal>> open(const std::filesystem::path& path);

  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// The job id: the seed of the stable document ids.
  const std::string& job_id() const noexcept { return job_id_; }
  /// The positions acknowledged before this run (as loaded by open(); empty after
  /// create()). Positions appended since are not added here.
  const position_set& acknowledged() const noexcept { return acknowledged_; }
  /// Bytes of a torn or damaged tail that open() dropped.
  std::uint64_t discarded_bytes() const noexcept { return discarded_bytes_; }
  const std::filesystem::path& path() const noexcept { return path_; }

  /// Appends one record of `positions` and fdatasyncs it; only then returns. An
  /// empty span writes nothing. Blocks the calling thread for the write and the sync.
  result<void> append(std::span<const std::uint64_t> positions);

 private:
  journal(std::filesystem::path path, int fd, std::string job_id, position_set acknowledged,
          std::uint64_t discarded, std::uint64_t size);

  std::filesystem::path path_;
  int fd_;
  std::string job_id_;
  position_set acknowledged_;
  std::uint64_t discarded_bytes_;
  std::mutex mutex_;       // serializes append()
  std::uint64_t size_;     // bytes of verified records in the file; guarded by mutex_
};

}  // namespace codex::ingest
