// codex ingest: a JSONL file into the batch ingester, with live progress, a journal
// for --resume, a rejects file, and a report.
#include "commands.hpp"
#include "progress.hpp"

#include <codex/ingest/ingester.hpp>
#include <codex/json/decode.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace codex::cli {
namespace {

using namespace std::chrono_literals;

/// Reads the input line by line; the journal's positions are line numbers (from 1).
class line_source {
 public:
  explicit line_source(const std::string& path) {
    if (path == "-") {
      in_ = &std::cin;
    } else {
      file_.open(path, std::ios::binary);
      in_ = &file_;
      std::error_code ec;
      size_ = std::filesystem::file_size(path, ec);
      if (ec) size_ = 0;
    }
  }
  bool ok() const { return in_ != nullptr && static_cast<bool>(*in_); }
  bool next(std::string& line) {
    if (!std::getline(*in_, line)) return false;
    ++line_number_;
    bytes_ += line.size() + 1;
    return true;
  }
  std::uint64_t line_number() const { return line_number_; }
  std::uint64_t bytes_read() const { return bytes_; }
  std::uint64_t size() const { return size_; }  ///< 0 when unknown (a pipe)

 private:
  std::ifstream file_;
  std::istream* in_ = nullptr;
  std::uint64_t line_number_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t size_ = 0;
};

/// Redraws the progress until cancelled (by `||` when the reading side finishes).
asio::awaitable<void> show_progress(const ingester& in, const line_source& source, progress_display& display) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    display.update(in.progress(), source.bytes_read(), source.size(), source.line_number());
    timer.expires_after(display.interval());
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

struct read_counts {
  std::uint64_t skipped = 0;     ///< acknowledged in the journal by an earlier run
  std::uint64_t unreadable = 0;  ///< lines that are not a JSON document
};

/// Feeds every line to the ingester (backpressure: add() waits when the pipe is full),
/// then finishes it. Stops reading early on Ctrl-C; what was added still completes.
asio::awaitable<ingest_report> read_input(ingester& in, line_source& source, const ingest::journal* journal,
                                          ingest::rejects_writer* rejects, const std::atomic<bool>& interrupted,
                                          read_counts& counts, shard_spec shard) {
  std::string line;
  while (!interrupted && source.next(line)) {
    const std::uint64_t position = source.line_number();
    if (line.empty() || !shard.takes(position)) continue;
    if (journal != nullptr && journal->acknowledged().contains(position)) {
      ++counts.skipped;
      continue;
    }
    auto document = json::decode_document_input(line);
    if (!document) {
      // Not a document at all: rejected here, the line kept for fixing.
      ++counts.unreadable;
      if (rejects != nullptr) {
        rejected_item item{.position = position, .error = "invalid_json", .message = document.error().message,
                           .original = line};
        (void)rejects->write(item);
      }
      continue;
    }
    ingest_item item{.position = position, .document = std::move(*document), .original = std::move(line)};
    co_await in.add(std::move(item));
  }
  co_return co_await in.finish();
}

void print_report(const ingest_report& report, std::uint64_t skipped, std::uint64_t unreadable, bool json,
                  const std::string& rejects_path) {
  const double seconds = std::chrono::duration<double>(report.duration).count();
  if (json) {
    std::printf(
        "{\"accepted\":%llu,\"rejected\":%llu,\"skipped_resumed\":%llu,\"unreadable_lines\":%llu,\"retried\":%llu,"
        "\"batches\":%llu,\"rate_limited\":%llu,\"seconds\":%.3f,\"items_per_second\":%.1f,\"fraction_of_bound\":%.4f}\n",
        static_cast<unsigned long long>(report.accepted), static_cast<unsigned long long>(report.rejected + unreadable),
        static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(unreadable),
        static_cast<unsigned long long>(report.retried), static_cast<unsigned long long>(report.batches),
        static_cast<unsigned long long>(report.rate_limited), seconds, report.items_per_second, report.fraction_of_bound);
    return;
  }
  std::printf("ingest report\n");
  std::printf("  accepted           %llu\n", static_cast<unsigned long long>(report.accepted));
  std::printf("  rejected           %llu%s\n", static_cast<unsigned long long>(report.rejected + unreadable),
              rejects_path.empty() ? "" : ("  (lines and reasons in " + rejects_path + ")").c_str());
  if (skipped > 0) std::printf("  already done       %llu  (skipped: acknowledged in the journal)\n", static_cast<unsigned long long>(skipped));
  std::printf("  retried            %llu\n", static_cast<unsigned long long>(report.retried));
  std::printf("  batches            %llu\n", static_cast<unsigned long long>(report.batches));
  std::printf("  429s seen          %llu\n", static_cast<unsigned long long>(report.rate_limited));
  std::printf("  duration           %.1f s\n", seconds);
  std::printf("  throughput         %.0f items/s  (%.1f %% of the rate-limit bound)\n", report.items_per_second,
              report.fraction_of_bound * 100);
  std::size_t shown = 0;
  for (const auto& item : report.rejected_items) {
    if (shown++ == 5) {
      std::printf("  ... %llu more\n", static_cast<unsigned long long>(report.rejected_items.size() - 5));
      break;
    }
    std::printf("  line %llu: %d %s: %s\n", static_cast<unsigned long long>(item.position), item.status,
                item.error.c_str(), item.message.c_str());
  }
}

}  // namespace

std::optional<shard_spec> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  shard_spec spec;
  const auto number = [](std::string_view digits, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return !digits.empty() && ec == std::errc{} && end == digits.data() + digits.size();
  };
  if (!number(text.substr(0, slash), spec.index) || !number(text.substr(slash + 1), spec.count)) return std::nullopt;
  if (spec.count == 0 || spec.count > 1'000'000 || spec.index >= spec.count) return std::nullopt;
  return spec;
}

asio::awaitable<int> ingest(client& api, bool json, ingest_settings settings) {
  line_source source(settings.input);
  if (!source.ok()) {
    std::cerr << "codex: cannot read " << settings.input << "\n";
    co_return exit_usage;
  }
  shard_spec shard;
  if (!settings.shard.empty()) {
    auto parsed = parse_shard(settings.shard);
    if (!parsed) {
      std::cerr << "codex: --shard takes I/N with 0 <= I < N, e.g. 0/4\n";
      co_return exit_usage;
    }
    shard = *parsed;
  }
  if (settings.journal.empty()) {
    if (settings.input == "-") {
      std::cerr << "codex: reading standard input: give --journal FILE to make the job resumable\n";
    } else if (shard.count > 1) {
      settings.journal = settings.input + ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) + ".journal";
    } else {
      settings.journal = settings.input + ".journal";
    }
  }

  ingester_options options{.max_items = settings.batch, .max_in_flight = settings.in_flight};
  if (!settings.journal.empty()) {
    auto journal = settings.resume ? ingest::journal::open(settings.journal) : ingest::journal::create(settings.journal);
    if (!journal) {
      print_error(journal.error());
      co_return exit_failure;
    }
    options.journal = std::move(*journal);
  }
  if (!settings.rejects.empty()) {
    auto rejects = ingest::rejects_writer::open(settings.rejects, settings.resume);
    if (!rejects) {
      print_error(rejects.error());
      co_return exit_failure;
    }
    options.rejects = std::move(*rejects);
  }
  const std::shared_ptr<ingest::journal> journal = options.journal;
  const std::shared_ptr<ingest::rejects_writer> rejects = options.rejects;
  ingester in(api, std::move(options));

  // Ctrl-C / SIGTERM: stop reading; what was added is finished (or journalled) and reported.
  auto interrupted = std::make_shared<std::atomic<bool>>(false);
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  signals.async_wait([interrupted](std::error_code ec, int) {
    if (!ec) *interrupted = true;
  });

  using namespace asio::experimental::awaitable_operators;
  progress_display display(json);
  read_counts counts;
  auto outcome = co_await (read_input(in, source, journal.get(), rejects.get(), *interrupted, counts, shard) ||
                           show_progress(in, source, display));
  signals.cancel();
  ingest_report report = std::get<0>(std::move(outcome));
  display.finish(in.progress(), source.line_number());
  if (rejects) (void)rejects->flush();
  const std::uint64_t skipped = counts.skipped;
  const std::uint64_t unreadable = counts.unreadable;

  print_report(report, skipped, unreadable, json, settings.rejects);
  if (*interrupted) {
    std::cerr << "codex: interrupted at line " << source.line_number() << "; run again with --resume to continue\n";
    co_return 130;
  }
  if (report.io_error) {
    std::cerr << "codex: " << report.io_message << "\n";
    co_return exit_failure;
  }
  co_return report.rejected + unreadable > 0 ? exit_partial_ingest : exit_ok;
}

}  // namespace codex::cli
