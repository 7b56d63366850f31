#include <codex/ingest/journal.hpp>

#include "ingest/crc32.hpp"

#include <codex/retry/idempotency.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace codex::ingest {
namespace {

constexpr char header_type = 'H';
constexpr char ack_type = 'A';
constexpr std::string_view header_magic = "CDXJ\x01";  // magic + format version 1
constexpr std::size_t frame_overhead = 4 + 1 + 4;      // length, type, CRC
constexpr std::uint32_t max_payload = 64u << 20;       // a larger length is damage

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  return v;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::string frame(char type, std::string_view payload) {
  std::string out;
  out.reserve(frame_overhead + payload.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out += type;
  out += payload;
  put_u32(out, detail::crc32(out));
  return out;
}

/// Reads the ranges of an ack payload into `into`. False if the payload is malformed.
bool read_ack(std::string_view payload, position_set& into) {
  std::uint64_t ranges = 0;
  if (!get_varint(payload, ranges)) return false;
  std::uint64_t cursor = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> decoded;
  for (std::uint64_t i = 0; i < ranges; ++i) {
    std::uint64_t gap = 0, length = 0;
    if (!get_varint(payload, gap) || !get_varint(payload, length)) return false;
    if (length == 0 || gap > UINT64_MAX - cursor || length > UINT64_MAX - (cursor + gap)) return false;
    const std::uint64_t first = cursor + gap;
    cursor = first + length;
    decoded.emplace_back(first, cursor);
  }
  if (!payload.empty()) return false;
  for (const auto& [first, last] : decoded) into.insert_range(first, last);
  return true;
}

error_info system_failure(const std::string& what, const std::filesystem::path& path, int error_number) {
  return error_info{.code = make_error_code(errc::io_error),
                    .message = "journal " + path.string() + ": " + what + ": " + std::strerror(error_number)};
}

result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return system_failure("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<void> sync(int fd, const std::filesystem::path& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return system_failure("fdatasync", path, errno);
  }
  return {};
}

/// Makes a new directory entry durable (a file just created).
result<void> sync_directory(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return system_failure("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return system_failure("fsync directory", dir, saved);
  return {};
}

result<std::string> new_job_id() {
  auto key = retry::make_idempotency_key();  // "idk_" + 32 hex digits of 128 random bits
  if (!key) return std::move(key).error();
  return key->substr(4);
}

}  // namespace

std::string journal_header_record(std::string_view job_id) {
  std::string payload(header_magic);
  payload += job_id;
  return frame(header_type, payload);
}

std::string journal_ack_record(std::span<const std::uint64_t> positions) {
  std::vector<std::uint64_t> sorted(positions.begin(), positions.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // first, length
  for (const std::uint64_t p : sorted) {
    if (!ranges.empty() && ranges.back().first + ranges.back().second == p) {
      ++ranges.back().second;
    } else {
      ranges.emplace_back(p, 1);
    }
  }
  std::string payload;
  put_varint(payload, ranges.size());
  std::uint64_t cursor = 0;
  for (const auto& [first, length] : ranges) {
    put_varint(payload, first - cursor);
    put_varint(payload, length);
    cursor = first + length;
  }
  return frame(ack_type, payload);
}

journal_contents read_journal(std::string_view bytes) {
  journal_contents out;
  std::size_t offset = 0;
  while (bytes.size() - offset >= frame_overhead) {
    const std::string_view rest = bytes.substr(offset);
    const std::uint32_t length = get_u32(rest);
    if (length > max_payload || rest.size() < frame_overhead + length) break;
    const std::string_view framed = rest.substr(0, 5 + length);
    if (detail::crc32(framed) != get_u32(rest.substr(5 + length))) break;
    const char type = framed[4];
    const std::string_view payload = framed.substr(5);
    if (!out.has_header) {
      if (type != header_type || !payload.starts_with(header_magic) || payload.size() == header_magic.size()) break;
      out.has_header = true;
      out.job_id = std::string(payload.substr(header_magic.size()));
    } else if (type != ack_type || !read_ack(payload, out.acknowledged)) {
      break;
    }
    ++out.records;
    offset += frame_overhead + length;
  }
  out.valid_bytes = offset;
  out.discarded_bytes = bytes.size() - offset;
  return out;
}

journal::journal(std::filesystem::path path, int fd, std::string job_id, position_set acknowledged,
                 std::uint64_t discarded, std::uint64_t size)
    : path_(std::move(path)),
      fd_(fd),
      job_id_(std::move(job_id)),
      acknowledged_(std::move(acknowledged)),
      discarded_bytes_(discarded),
      size_(size) {}

journal::~journal() { ::close(fd_); }

result<std::shared_ptr<journal>> journal::create(const std::filesystem::path& path) {
  auto job_id = new_job_id();
  if (!job_id) return std::move(job_id).error();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return system_failure("open", path, errno);
  const std::string header = journal_header_record(*job_id);
  std::shared_ptr<journal> created(new journal(path, fd, *job_id, {}, 0, header.size()));
  if (auto r = write_all(fd, header, path); !r) return r.error();
  if (auto r = sync(fd, path); !r) return r.error();
  if (auto r = sync_directory(path); !r) return r.error();
  return created;
}

result<std::shared_ptr<journal>> journal::open(const std::filesystem::path& path) {
  std::error_code exists_error;
  if (!std::filesystem::exists(path, exists_error)) return create(path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return system_failure("read", path, errno);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return system_failure("read", path, errno);
  }
  journal_contents contents = read_journal(bytes);
  if (!contents.has_header) {
    // A header shorter than a whole one was torn while the job was being created,
    // before anything was sent: nothing can have been relied upon. Anything longer
    // means the job id is lost, and with it the ids of the documents already sent.
    if (bytes.size() < journal_header_record(std::string(32, '0')).size()) return create(path);
    return error_info{.code = make_error_code(errc::decode_error),
                      .message = "journal " + path.string() + ": the header record is damaged"};
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return system_failure("open", path, errno);
  std::shared_ptr<journal> opened(new journal(path, fd, std::move(contents.job_id), std::move(contents.acknowledged),
                                              contents.discarded_bytes, contents.valid_bytes));
  if (contents.discarded_bytes > 0) {
    if (::ftruncate(fd, static_cast<off_t>(contents.valid_bytes)) != 0) return system_failure("ftruncate", path, errno);
    if (auto r = sync(fd, path); !r) return r.error();
  }
  return opened;
}

result<void> journal::append(std::span<const std::uint64_t> positions) {
  if (positions.empty()) return {};
  const std::string record = journal_ack_record(positions);
  std::lock_guard lock(mutex_);
  auto written = write_all(fd_, record, path_);
  if (written) written = sync(fd_, path_);
  if (!written) {
    // Take back a partial record (e.g. ENOSPC midway): records appended after a torn
    // one would never be read. If even that fails, loading still stops safely there.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) (void)::fdatasync(fd_);
    return written;
  }
  size_ += record.size();
  return {};
}

}  // namespace codex::ingest
