#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace codex::cli {
namespace {

std::string duration_text(double seconds) {
  if (seconds < 0 || seconds > 359999) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

}  // namespace

progress_display::progress_display(bool quiet)
    : quiet_(quiet), terminal_(::isatty(STDOUT_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

std::chrono::milliseconds progress_display::interval() const noexcept {
  return terminal_ ? std::chrono::milliseconds(250) : std::chrono::seconds(5);
}

void progress_display::update(const ingest_progress& p, std::uint64_t bytes_read, std::uint64_t input_size,
                              std::uint64_t lines_read) {
  if (quiet_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // Lines an earlier run settled count as done (the bar shows the job, not this run);
  // the rate counts only this run's.
  const std::uint64_t settled = p.accepted + p.rejected + p.skipped;
  const double rate = elapsed > 0 ? static_cast<double>(p.accepted + p.rejected) / elapsed : 0;
  // The total comes from the file size: lines per byte so far, times the bytes.
  double total = 0;
  if (input_size > 0 && bytes_read > 0)
    total = static_cast<double>(lines_read) * static_cast<double>(input_size) / static_cast<double>(bytes_read);
  total = std::max(total, static_cast<double>(settled));
  const double fraction = total > 0 ? static_cast<double>(settled) / total : 0;
  const std::string eta = rate > 0 && total > 0 ? duration_text((total - static_cast<double>(settled)) / rate) : "--:--";

  // Not delivered is non-zero only once the job has stopped: said only then.
  const std::string undelivered =
      p.not_delivered > 0 ? ", not delivered " + std::to_string(static_cast<unsigned long long>(p.not_delivered)) : "";
  if (!terminal_) {
    std::fprintf(stderr, "progress: %llu done%s, %.0f items/s, accepted %llu, rejected %llu%s, 429s %llu, elapsed %s\n",
                 static_cast<unsigned long long>(settled),
                 total > 0 ? (" of ~" + std::to_string(static_cast<unsigned long long>(total))).c_str() : "", rate,
                 static_cast<unsigned long long>(p.accepted), static_cast<unsigned long long>(p.rejected),
                 undelivered.c_str(), static_cast<unsigned long long>(p.rate_limited), duration_text(elapsed).c_str());
    return;
  }
  constexpr int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  std::printf("\r\x1b[K[%s] %5.1f%%  %llu/%s  %.0f/s  ETA %s  ok %llu  rejected %llu%s  429s %llu", bar.c_str(),
              fraction * 100, static_cast<unsigned long long>(settled),
              total > 0 ? std::to_string(static_cast<unsigned long long>(total)).c_str() : "?", rate, eta.c_str(),
              static_cast<unsigned long long>(p.accepted), static_cast<unsigned long long>(p.rejected),
              undelivered.c_str(), static_cast<unsigned long long>(p.rate_limited));
  std::fflush(stdout);
}

void progress_display::finish(const ingest_progress& p, std::uint64_t lines_read) {
  if (quiet_) return;
  update(p, 1, 1, lines_read);  // the input is fully read: total = lines read
  if (terminal_) std::printf("\n");
}

}  // namespace codex::cli
