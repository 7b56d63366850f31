#pragma once
// The ingest progress display: a bar redrawn a few times a second on a terminal, a
// plain line every few seconds otherwise (so that logs of piped runs stay readable).

#include <codex/ingest/report.hpp>

#include <chrono>
#include <cstdint>

namespace codex::cli {

class progress_display {
 public:
  /// `quiet` (e.g. --json): nothing is drawn.
  explicit progress_display(bool quiet);

  /// How often update() should be called.
  std::chrono::milliseconds interval() const noexcept;

  /// Draws the current state. `input_size` 0 means unknown (a pipe): no total, no ETA.
  void update(const ingest_progress& p, std::uint64_t bytes_read, std::uint64_t input_size, std::uint64_t lines_read);

  /// The last state, then a newline (on a terminal).
  void finish(const ingest_progress& p, std::uint64_t lines_read);

 private:
  bool quiet_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace codex::cli
