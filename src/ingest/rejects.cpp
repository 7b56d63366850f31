#include <codex/ingest/rejects.hpp>

#include "auth/base64.hpp"
#include "ingest/durable_file.hpp"

#include <codex/json/writer.hpp>


#include <fcntl.h>

#include <charconv>

namespace codex::ingest {
namespace {

constexpr std::string_view line_prefix = R"({"position":)";

/// Length of the well-formed UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t min = 0;
  std::uint32_t cp = 0;
  if ((b0 & 0xe0) == 0xc0) { n = 2; min = 0x80; cp = b0 & 0x1f; }
  else if ((b0 & 0xf0) == 0xe0) { n = 3; min = 0x800; cp = b0 & 0x0f; }
  else if ((b0 & 0xf8) == 0xf0) { n = 4; min = 0x10000; cp = b0 & 0x07; }
  else return 0;
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text) {
  if (json::is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t n = utf8_sequence(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      out += text.substr(0, n);
      text.remove_prefix(n);
    }
  }
  return out;
}

struct loaded_rejects {
  position_set positions;
  std::uint64_t valid_bytes = 0;
};

/// The whole lines at the start of `bytes`, up to the first that is not one.
loaded_rejects load(std::string_view bytes) {
  loaded_rejects out;
  while (out.valid_bytes < bytes.size()) {
    const std::string_view rest = bytes.substr(out.valid_bytes);
    const auto newline = rest.find('\n');
    if (newline == std::string_view::npos) break;
    const auto position = reject_line_position(rest.substr(0, newline));
    if (!position) break;
    out.positions.insert(*position);
    out.valid_bytes += newline + 1;
  }
  return out;
}

}  // namespace

std::string reject_line(const rejected_item& item) {
  std::string out;
  json::writer w(out);
  w.begin_object()
      .key("position").uint64(item.position)
      .key("status").int64(item.status)
      .key("error").string(valid_utf8(item.error))
      .key("message").string(valid_utf8(item.message));
  if (json::is_valid_utf8(item.original)) w.key("line").string(item.original);
  else w.key("line_base64").string(auth::base64_encode(item.original));
  w.end_object();
  return out;
}

std::optional<std::uint64_t> reject_line_position(std::string_view line) {
  // Our own lines only: the prefix and the position first, a closing brace last. A
  // torn write lacks its newline or its end; damage that keeps both is caught by the
  // UTF-8 check or, rarely, not at all — then the item is skipped, never duplicated.
  if (!line.starts_with(line_prefix) || !line.ends_with('}') || !json::is_valid_utf8(line)) return std::nullopt;
  std::uint64_t position = 0;
  const char* first = line.data() + line_prefix.size();
  const char* last = line.data() + line.size();
  const auto [end, ec] = std::from_chars(first, last, position);
  if (ec != std::errc{} || end == first || end == last || *end != ',') return std::nullopt;
  return position;
}

rejects_writer::rejects_writer(detail::durable_file file, position_set positions, std::uint64_t size,
                               std::uint64_t discarded)
    : file_(std::make_unique<detail::durable_file>(std::move(file))),
      positions_(std::move(positions)),
      discarded_bytes_(discarded),
      size_(size) {}

rejects_writer::~rejects_writer() = default;

result<std::shared_ptr<rejects_writer>> rejects_writer::create(const std::filesystem::path& path) {
  auto file = detail::durable_file::open_locked(path, O_RDWR | O_CREAT | O_APPEND, "rejects file");
  if (!file) return std::move(file).error();
  if (auto r = file->truncate(0); !r) return r.error();
  return std::shared_ptr<rejects_writer>(new rejects_writer(std::move(*file), {}, 0, 0));
}

result<std::shared_ptr<rejects_writer>> rejects_writer::resume(const std::filesystem::path& path) {
  auto file = detail::durable_file::open_locked(path, O_RDWR | O_CREAT | O_APPEND, "rejects file");
  if (!file) return std::move(file).error();
  auto bytes = file->read_all();
  if (!bytes) return std::move(bytes).error();
  loaded_rejects loaded = load(*bytes);
  const std::uint64_t discarded = bytes->size() - loaded.valid_bytes;
  if (discarded > 0) {
    // Appending after a torn line would glue the next record to it.
    if (auto r = file->truncate(loaded.valid_bytes); !r) return r.error();
    if (auto r = file->sync(); !r) return r.error();
  }
  return std::shared_ptr<rejects_writer>(new rejects_writer(std::move(*file), std::move(loaded.positions), loaded.valid_bytes, discarded));
}

result<void> rejects_writer::write(std::span<const rejected_item> items) {
  if (items.empty()) return {};
  std::string lines;
  for (const auto& item : items) {
    lines += reject_line(item);
    lines += '\n';
  }
  std::lock_guard lock(mutex_);
  if (auto r = file_->write_all(lines); !r) {
    // Take back a partial line (ENOSPC midway): the next one would be glued to it.
    (void)file_->truncate(size_);
    return r;
  }
  size_ += lines.size();
  lines_ += items.size();
  return {};
}

result<void> rejects_writer::sync() { return file_->sync(); }

std::uint64_t rejects_writer::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

const std::filesystem::path& rejects_writer::path() const noexcept { return file_->path(); }

}  // namespace codex::ingest
