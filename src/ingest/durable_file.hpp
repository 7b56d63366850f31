#pragma once
// The file operations the journal and the rejects file share: whole writes, data
// syncs, an exclusive lock that says "one job, one process", and reading a file back.
// Failures come back as errc::file_error (errc::job_locked for a held lock) with a
// message naming the file by its role ("journal PATH: write: No space left on device").

#include <codex/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace codex::ingest::detail {

/// An open file descriptor, closed on destruction; `role` ("journal", "rejects file")
/// prefixes every error message.
class durable_file {
 public:
  /// Opens `path` with open(2) `flags` (O_CLOEXEC is added) and takes an exclusive,
  /// non-blocking flock. errc::job_locked when another open file description holds it
  /// (another process running the same job).
  static result<durable_file> open_locked(const std::filesystem::path& path, int flags, std::string_view role);

  durable_file(durable_file&& other) noexcept;
  durable_file& operator=(durable_file&& other) noexcept;
  durable_file(const durable_file&) = delete;
  durable_file& operator=(const durable_file&) = delete;
  ~durable_file();

  /// Writes every byte (retrying short writes and EINTR).
  result<void> write_all(std::string_view bytes) const;
  /// fdatasync.
  result<void> sync() const;
  /// fsync of the file's directory, so that a file just created survives a power cut.
  result<void> sync_directory() const;
  /// Cuts the file to `size` bytes.
  result<void> truncate(std::uint64_t size) const;
  /// The whole file, read from the start.
  result<std::string> read_all() const;

  /// The errno-based error for `operation`, naming the file.
  error_info failure(std::string_view operation, int error_number) const;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  durable_file(std::filesystem::path path, int fd, std::string role) noexcept;

  std::filesystem::path path_;
  int fd_ = -1;
  std::string role_;
};

}  // namespace codex::ingest::detail
