#include "ingest/durable_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace codex::ingest::detail {
namespace {

error_info failure_for(std::string_view role, const std::filesystem::path& path, std::string_view operation,
                       int error_number) {
  std::string message(role);
  message += ' ';
  message += path.string();
  message += ": ";
  message += operation;
  message += ": ";
  message += std::strerror(error_number);
  return error_info{.code = make_error_code(errc::file_error), .message = std::move(message)};
}

}  // namespace

durable_file::durable_file(std::filesystem::path path, int fd, std::string role) noexcept
    : path_(std::move(path)), fd_(fd), role_(std::move(role)) {}

durable_file::durable_file(durable_file&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), role_(std::move(other.role_)) {}

durable_file& durable_file::operator=(durable_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    role_ = std::move(other.role_);
  }
  return *this;
}

durable_file::~durable_file() {
  if (fd_ >= 0) ::close(fd_);  // also releases the flock
}

result<durable_file> durable_file::open_locked(const std::filesystem::path& path, int flags, std::string_view role) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return failure_for(role, path, "open", errno);
  durable_file file(path, fd, std::string(role));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return error_info{.code = make_error_code(errc::job_locked),
                        .message = std::string(role) + " " + path.string() +
                                   " is locked: another codex process is running this job"};
    }
    return file.failure("flock", errno);
  }
  return file;
}

result<void> durable_file::write_all(std::string_view bytes) const {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure("write", errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<void> durable_file::sync() const {
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return failure("fdatasync", errno);
  }
  return {};
}

result<void> durable_file::sync_directory() const {
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failure_for(role_, dir, "open directory", errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return failure_for(role_, dir, "fsync directory", saved);
  return {};
}

result<void> durable_file::truncate(std::uint64_t size) const {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return failure("ftruncate", errno);
  return {};
}

result<std::string> durable_file::read_all() const {
  std::string bytes;
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure("read", errno);
    }
    if (n == 0) return bytes;
    bytes.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
}

error_info durable_file::failure(std::string_view operation, int error_number) const {
  return failure_for(role_, path_, operation, error_number);
}

}  // namespace codex::ingest::detail
