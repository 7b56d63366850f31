#pragma once
// codex::ingest::rejects_writer — the rejects file of an ingest job: one JSON line per
// input item refused for good, holding its input position, the reason, and the
// original input line, so that the file can be fixed and ingested again
// (e.g. `jq -c '.line | fromjson' rejects.jsonl > fixed.jsonl`).
//
// Exact under any crash: each line is written whole with one write(2) (no user-space
// buffer that a crash could cut in the middle of a record, nothing interleaved:
// writes are serialized and the file is locked against other processes), and synced
// before the journal records the same positions. A job that is resumed reads the file
// back: a torn or damaged tail (a crash inside a write) is cut off, and the positions
// already recorded are known (positions()), so the ingester never writes one twice.

#include <codex/ingest/position_set.hpp>
#include <codex/ingest/report.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace codex::ingest {

namespace detail {
class durable_file;
}

/// One line of a rejects file, without the trailing newline:
/// {"position":N,"status":S,"error":"code","message":"…","line":"<original line>"}.
/// An original that is not valid UTF-8 is kept exactly as "line_base64" (standard
/// base64) instead of "line"; the error and message get U+FFFD for bad bytes. Always
/// valid JSON. Pure.
std::string reject_line(const rejected_item& item);

/// The position of a whole line written by reject_line() (no newline), or nullopt if
/// `line` is not one (torn, damaged, or not UTF-8). Pure.
std::optional<std::uint64_t> reject_line_position(std::string_view line);

/// Appends reject lines to a file.
///
/// Thread-safety: every member may be called concurrently.
/// Errors: errc::file_error with the system's message; errc::job_locked when another
/// process has the file open through a rejects_writer.
class rejects_writer {
 public:
  /// A new job's rejects file: created, or emptied if it exists (after it is locked).
  static result<std::shared_ptr<rejects_writer>> create(const std::filesystem::path& path);

  /// A resumed job's rejects file (created if missing): every whole line is read back
  /// into positions(); from the first line that is not whole (a torn write, damage),
  /// the rest is cut off; new lines are appended.
  static result<std::shared_ptr<rejects_writer>> resume(const std::filesystem::path& path);

  ~rejects_writer();
  rejects_writer(const rejects_writer&) = delete;
  rejects_writer& operator=(const rejects_writer&) = delete;

  /// Appends one line per item in one write(2). Not synced: see sync().
  result<void> write(std::span<const rejected_item> items);
  /// fdatasyncs what was written.
  result<void> sync();

  /// The positions recorded in the file before this run (resume() only).
  const position_set& positions() const noexcept { return positions_; }
  /// Bytes of a torn or damaged tail that resume() cut off.
  std::uint64_t discarded_bytes() const noexcept { return discarded_bytes_; }
  /// Lines written by this run.
  std::uint64_t lines() const;
  /// The rejects file's path, as given to create() or resume().
  const std::filesystem::path& path() const noexcept;

 private:
  rejects_writer(detail::durable_file file, position_set positions, std::uint64_t size, std::uint64_t discarded);

  std::unique_ptr<detail::durable_file> file_;
  position_set positions_;
  std::uint64_t discarded_bytes_ = 0;
  mutable std::mutex mutex_;  // serializes write()
  std::uint64_t size_ = 0;    // bytes of whole lines in the file; guarded by mutex_
  std::uint64_t lines_ = 0;   // guarded by mutex_
};

}  // namespace codex::ingest
