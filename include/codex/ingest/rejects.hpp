#pragma once
// codex::ingest::rejects_writer — the rejects file of an ingest: one JSON line per
// item rejected for good, holding its input position, the reason, and the original
// input line, so that the file can be fixed and ingested again
// (e.g. `jq -c '.line | fromjson' rejects.jsonl > fixed.jsonl`).

#include <codex/ingest/report.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace codex::ingest {

/// One line of a rejects file, without the trailing newline:
/// {"position":N,"status":S,"error":"code","message":"…","line":"<original line>"}.
/// Strings that are not valid UTF-8 are written with U+FFFD for the bad bytes, so the
/// line is always valid JSON. Pure.
std::string reject_line(const rejected_item& item);

/// Appends reject lines to a file.
///
/// Thread-safety: write() and flush() may be called concurrently.
/// Errors: errc::io_error with the system's message.
class rejects_writer {
 public:
  /// Opens `path` for writing: truncated, or appended to when `append` is set.
  static result<std::shared_ptr<rejects_writer>> open(const std::filesystem::path& path, bool append = false);

  ~rejects_writer();
  rejects_writer(const rejects_writer&) = delete;
  rejects_writer& operator=(const rejects_writer&) = delete;

  /// Writes one line (buffered).
  result<void> write(const rejected_item& item);
  /// Flushes the buffer and fdatasyncs the file.
  result<void> flush();
  /// Lines written so far.
  std::uint64_t lines() const;

 private:
  rejects_writer(std::filesystem::path path, std::FILE* file);

  std::filesystem::path path_;
  std::FILE* file_;
  mutable std::mutex mutex_;
  std::uint64_t lines_ = 0;
};

}  // namespace codex::ingest
