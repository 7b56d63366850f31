#include <codex/ingest/journal.hpp>

#include "ingest/crc32.hpp"
#include "ingest/durable_file.hpp"

#include <codex/retry/idempotency.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace codex::ingest {
namespace {

constexpr char header_type = 'H';
constexpr char ack_type = 'A';
constexpr char reject_type = 'R';
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

/// Reads the ranges of a positions payload into `into`. False if the payload is malformed.
bool read_positions(std::string_view payload, position_set& into) {
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

result<std::string> new_job_id() {
  auto key = retry::make_idempotency_key();  // "idk_" + 32 hex digits of 128 random bits
  if (!key) return std::move(key).error();
  return key->substr(4);
}

/// A job id goes into the header verbatim and seeds document ids: printable ASCII,
/// no spaces, so that it can be shown and typed.
bool valid_job_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

/// A record of `type` listing `positions` as delta-encoded ranges.
std::string positions_record(char type, std::span<const std::uint64_t> positions) {
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
  return frame(type, payload);
}

}  // namespace

std::string journal_header_record(std::string_view job_id) {
  std::string payload(header_magic);
  payload += job_id;
  return frame(header_type, payload);
}

std::string journal_ack_record(std::span<const std::uint64_t> positions) {
  return positions_record(ack_type, positions);
}

std::string journal_reject_record(std::span<const std::uint64_t> positions) {
  return positions_record(reject_type, positions);
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
    } else if (type == ack_type) {
      if (!read_positions(payload, out.acknowledged)) break;
    } else if (type == reject_type) {
      if (!read_positions(payload, out.rejected)) break;
    } else {
      break;
    }
    ++out.records;
    offset += frame_overhead + length;
  }
  out.valid_bytes = offset;
  out.discarded_bytes = bytes.size() - offset;
  return out;
}

journal::journal(detail::durable_file file, std::string job_id, journal_contents loaded)
    : file_(std::make_unique<detail::durable_file>(std::move(file))),
      job_id_(std::move(job_id)),
      acknowledged_(std::move(loaded.acknowledged)),
      rejected_(std::move(loaded.rejected)),
      discarded_bytes_(loaded.discarded_bytes),
      size_(loaded.valid_bytes) {}

journal::~journal() = default;

result<std::shared_ptr<journal>> journal::create(const std::filesystem::path& path, std::string job_id) {
  if (job_id.empty()) {
    auto random_id = new_job_id();
    if (!random_id) return std::move(random_id).error();
    job_id = std::move(*random_id);
  } else if (!valid_job_id(job_id)) {
    return error_info{.code = make_error_code(errc::invalid_argument),
                      .message = "journal: a job id is 1 to 64 printable ASCII characters without spaces"};
  }
  // Locked before it is emptied: a running job's journal is never cut by a second one.
  auto file = detail::durable_file::open_locked(path, O_RDWR | O_CREAT | O_APPEND, "journal");
  if (!file) return std::move(file).error();
  const std::string header = journal_header_record(job_id);
  if (auto r = file->truncate(0); !r) return r.error();
  if (auto r = file->write_all(header); !r) return r.error();
  if (auto r = file->sync(); !r) return r.error();
  if (auto r = file->sync_directory(); !r) return r.error();
  journal_contents fresh;
  fresh.valid_bytes = header.size();
  return std::shared_ptr<journal>(new journal(std::move(*file), std::move(job_id), std::move(fresh)));
}

result<std::shared_ptr<journal>> journal::open(const std::filesystem::path& path) {
  const auto cannot_resume = [&](std::string why) {
    return error_info{.code = make_error_code(errc::journal_damaged), .message = "journal " + path.string() + ": " + why};
  };
  std::error_code exists_error;
  if (!std::filesystem::exists(path, exists_error)) return cannot_resume("does not exist");
  auto file = detail::durable_file::open_locked(path, O_RDWR | O_APPEND, "journal");
  if (!file) return std::move(file).error();
  auto bytes = file->read_all();
  if (!bytes) return std::move(bytes).error();
  journal_contents contents = read_journal(*bytes);
  if (!contents.has_header) {
    // The job id is gone with the header, and with it the ids of the documents sent:
    // starting afresh here would duplicate them. The caller decides.
    if (bytes->empty()) return cannot_resume("is empty (its job id is lost)");
    return cannot_resume("its header record is torn or damaged (its job id is lost)");
  }
  if (contents.discarded_bytes > 0) {
    if (auto r = file->truncate(contents.valid_bytes); !r) return r.error();
    if (auto r = file->sync(); !r) return r.error();
  }
  std::string job_id = std::move(contents.job_id);
  return std::shared_ptr<journal>(new journal(std::move(*file), std::move(job_id), std::move(contents)));
}

result<void> journal::append(std::span<const std::uint64_t> accepted, std::span<const std::uint64_t> rejected) {
  if (accepted.empty() && rejected.empty()) return {};
  std::string records;
  if (!accepted.empty()) records += journal_ack_record(accepted);
  if (!rejected.empty()) records += journal_reject_record(rejected);
  std::lock_guard lock(mutex_);
  auto written = file_->write_all(records);
  if (written) written = file_->sync();
  if (!written) {
    // Take back a partial record (e.g. ENOSPC midway): records appended after a torn
    // one would never be read. If even that fails, loading still stops safely there.
    if (file_->truncate(size_)) (void)file_->sync();
    return written;
  }
  size_ += records.size();
  return {};
}

const std::filesystem::path& journal::path() const noexcept { return file_->path(); }

}  // namespace codex::ingest
