#include <codex/ingest/rejects.hpp>

#include <codex/json/writer.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace codex::ingest {
namespace {

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

error_info failure(const std::string& what, const std::filesystem::path& path, int error_number) {
  return error_info{.code = make_error_code(errc::io_error),
                    .message = "rejects file " + path.string() + ": " + what + ": " + std::strerror(error_number)};
}

}  // namespace

std::string reject_line(const rejected_item& item) {
  std::string out;
  json::writer w(out);
  w.begin_object()
      .key("position").uint64(item.position)
      .key("status").int64(item.status)
      .key("error").string(valid_utf8(item.error))
      .key("message").string(valid_utf8(item.message))
      .key("line").string(valid_utf8(item.original))
      .end_object();
  return out;
}

rejects_writer::rejects_writer(std::filesystem::path path, std::FILE* file) : path_(std::move(path)), file_(file) {}

rejects_writer::~rejects_writer() { std::fclose(file_); }

result<std::shared_ptr<rejects_writer>> rejects_writer::open(const std::filesystem::path& path, bool append) {
  std::FILE* file = std::fopen(path.c_str(), append ? "ae" : "we");
  if (file == nullptr) return failure("open", path, errno);
  return std::shared_ptr<rejects_writer>(new rejects_writer(path, file));
}

result<void> rejects_writer::write(const rejected_item& item) {
  std::string line = reject_line(item);
  line += '\n';
  std::lock_guard lock(mutex_);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return failure("write", path_, errno);
  ++lines_;
  return {};
}

result<void> rejects_writer::flush() {
  std::lock_guard lock(mutex_);
  if (std::fflush(file_) != 0) return failure("flush", path_, errno);
  if (::fdatasync(::fileno(file_)) != 0) return failure("fdatasync", path_, errno);
  return {};
}

std::uint64_t rejects_writer::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace codex::ingest
