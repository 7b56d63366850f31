// codex ingest: a JSONL file into the batch ingester, with live progress, a journal
// for --resume, a rejects file, and a report.
#include "commands.hpp"
#include "progress.hpp"
#include "terminal_text.hpp"

#include <codex/ingest/ingester.hpp>
#include <codex/ingest/stable_id.hpp>
#include <codex/json/decode.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
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

/// A line with nothing but whitespace (a CRLF file's empty line is "\r").
bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

/// Feeds every line to the ingester (backpressure: add() waits when the pipe is full),
/// then finishes it. Stops reading once the job stops (a signal, or a failure that is
/// not the item's); what was added is then settled or reported as not delivered.
asio::awaitable<ingest_report> read_input(ingester& in, line_source& source, std::uint64_t& unreadable,
                                          shard_spec shard) {
  std::string line;
  try {
    while (source.next(line)) {
      const std::uint64_t position = source.line_number();
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF input: the line ends before CR
      if (is_blank(line) || !shard.takes(position)) continue;
      if (in.skip_if_settled(position)) continue;
      auto document = json::decode_document_input(line);
      if (!document) {
        // Not a document at all: refused here, the line kept for fixing.
        ++unreadable;
        in.reject(rejected_item{.position = position, .error = "invalid_json", .message = document.error().message,
                                .original = std::move(line)});
        continue;
      }
      ingest_item item{.position = position, .document = std::move(*document), .original = std::move(line)};
      co_await in.add(std::move(item));
    }
  } catch (const codex::error&) {
    // The job has stopped (add() and reject() say so by throwing its failure); the
    // report below says why.
  }
  co_return co_await in.finish();
}

/// SIGINT / SIGTERM: the first stops the job (within moments: every wait of the
/// ingester gives way to it) and the report follows; a second ends the process at
/// once — safe, since the journal and rejects file are consistent at every instant.
class stop_on_signals {
 public:
  stop_on_signals(const asio::any_io_executor& executor, ingester& in) : signals_(executor, SIGINT, SIGTERM), in_(in) {
    arm();
  }
  ~stop_on_signals() { signals_.cancel(); }
  /// The first signal received, or 0.
  int received() const noexcept { return received_; }

 private:
  void arm() {
    signals_.async_wait([this](std::error_code ec, int number) {
      if (ec) return;  // cancelled: `this` may be gone
      if (received_ != 0) std::_Exit(128 + number);
      received_ = number;
      std::fprintf(stderr, "\ncodex: %s: stopping the ingest (again to quit at once)\n",
                   number == SIGINT ? "interrupted" : "terminated");
      in_.stop();
      arm();
    });
  }

  asio::signal_set signals_;
  ingester& in_;
  int received_ = 0;
};

void print_count(const char* label, std::uint64_t value, const std::string& note = {}) {
  std::printf("  %-18s %llu%s\n", label, static_cast<unsigned long long>(value), note.c_str());
}

void print_report(const ingest_report& report, std::uint64_t unreadable, bool json, const std::string& rejects_path) {
  const double seconds = std::chrono::duration<double>(report.duration).count();
  if (json) {
    std::printf(
        "{\"accepted\":%llu,\"rejected\":%llu,\"not_delivered\":%llu,\"skipped_resumed\":%llu,\"unreadable_lines\":%llu,"
        "\"retried\":%llu,\"batches\":%llu,\"rate_limited\":%llu,\"seconds\":%.3f,\"items_per_second\":%.1f,"
        "\"fraction_of_bound\":%.4f,\"stopped\":%s}\n",
        static_cast<unsigned long long>(report.accepted), static_cast<unsigned long long>(report.rejected),
        static_cast<unsigned long long>(report.not_delivered), static_cast<unsigned long long>(report.skipped),
        static_cast<unsigned long long>(unreadable), static_cast<unsigned long long>(report.retried),
        static_cast<unsigned long long>(report.batches), static_cast<unsigned long long>(report.rate_limited), seconds,
        report.items_per_second, report.fraction_of_bound, report.stopped_by ? "true" : "false");
    return;
  }
  std::printf("ingest report\n");
  print_count("accepted", report.accepted);
  print_count("rejected", report.rejected,
              rejects_path.empty() ? "  (refused for good)"
                                   : "  (refused for good: lines and reasons in " + printable(rejects_path) + ")");
  if (report.not_delivered > 0 || report.stopped_by) {
    print_count("not delivered", report.not_delivered, "  (not journalled: --resume sends them)");
  }
  if (report.skipped > 0) print_count("already done", report.skipped, "  (skipped: settled by an earlier run)");
  print_count("retried", report.retried);
  print_count("batches", report.batches);
  print_count("429s seen", report.rate_limited);
  std::printf("  duration           %.1f s\n", seconds);
  if (report.batches > 0) {
    std::printf("  throughput         %.0f items/s  (%.1f %% of the rate-limit bound)\n", report.items_per_second,
                report.fraction_of_bound * 100);
  }
  std::size_t shown = 0;
  for (const auto& item : report.rejected_items) {
    if (shown++ == 5) break;
    std::printf("  line %llu: %d %s: %s\n", static_cast<unsigned long long>(item.position), item.status,
                printable(item.error).c_str(), printable(item.message).c_str());
  }
  if (report.rejected > shown) std::printf("  ... %llu more\n", static_cast<unsigned long long>(report.rejected - shown));
}

/// The job id for an input: --job-id, else one derived from the input file's absolute
/// path (so that the documents' ids survive the loss of the journal), else none (a
/// random one is made: standard input has no identity).
std::string job_id_for(const ingest_settings& settings) {
  if (!settings.job_id.empty()) return settings.job_id;
  if (settings.input == "-") return {};
  std::error_code ec;
  const auto path = std::filesystem::canonical(settings.input, ec);
  if (ec || !std::filesystem::is_regular_file(path, ec)) return {};
  return ingest::derive_job_id(path.string());
}

/// The job's journal: resumed, or started (again) with `job_id`. A journal that cannot
/// be resumed is replaced only when `job_id` is known — the documents then keep their
/// ids and sending every line again duplicates nothing; otherwise the ingest stops.
result<std::shared_ptr<ingest::journal>> open_journal(const std::string& path, bool resume, const std::string& job_id) {
  std::error_code ec;
  if (!resume) {
    if (std::filesystem::exists(path, ec)) {
      std::cerr << "codex: starting a new job in " << printable(path)
                << " (the journal of an earlier run; --resume continues it)\n";
    }
    return ingest::journal::create(path, job_id);
  }
  auto opened = ingest::journal::open(path);
  if (opened || opened.code() != errc::journal_damaged) return opened;
  if (job_id.empty()) {
    auto refused = std::move(opened).error();
    refused.message += ". The ids of the documents it sent are lost with it, so sending the lines again would store "
                       "them twice: give the lost job's --job-id, or start a new job without --resume";
    return refused;
  }
  std::cerr << "codex: " << printable(opened.error().message) << "; sending every line again: the documents keep their ids ("
            << "job " << job_id << "), so none is stored twice\n";
  if (std::filesystem::exists(path, ec)) {
    const std::string kept = path + ".damaged";
    std::filesystem::rename(path, kept, ec);
    if (!ec) std::cerr << "codex: the unreadable journal is kept as " << printable(kept) << "\n";
  }
  return ingest::journal::create(path, job_id);
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
    std::cerr << "codex: cannot read " << printable(settings.input) << "\n";
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
  options.batch_deadline = std::chrono::milliseconds(static_cast<std::int64_t>(settings.retry_for * 1000));
  if (!settings.journal.empty()) {
    // The journal first: its lock says whether another process runs this job, before
    // anything (the rejects file) is touched.
    auto journal = open_journal(settings.journal, settings.resume, job_id_for(settings));
    if (!journal) {
      print_error(journal.error());
      co_return exit_code_for(journal.code());
    }
    options.journal = std::move(*journal);
  } else if (!settings.job_id.empty()) {
    options.id_seed = settings.job_id;
  }
  if (!settings.rejects.empty()) {
    auto rejects = settings.resume ? ingest::rejects_writer::resume(settings.rejects)
                                   : ingest::rejects_writer::create(settings.rejects);
    if (!rejects) {
      print_error(rejects.error());
      co_return exit_code_for(rejects.code());
    }
    options.rejects = std::move(*rejects);
  }
  // Lines an earlier run of the job refused: the job's exit status counts them too.
  const std::uint64_t rejected_before = options.rejects   ? options.rejects->positions().size()
                                        : options.journal ? options.journal->rejected().size()
                                                          : 0;
  ingester in(api, std::move(options));
  stop_on_signals signals(co_await asio::this_coro::executor, in);

  using namespace asio::experimental::awaitable_operators;
  progress_display display(json);
  std::uint64_t unreadable = 0;
  auto outcome = co_await (read_input(in, source, unreadable, shard) || show_progress(in, source, display));
  ingest_report report = std::get<0>(std::move(outcome));
  display.finish(in.progress(), source.line_number());

  print_report(report, unreadable, json, settings.rejects);
  if (signals.received() != 0) {
    std::cerr << "codex: interrupted at line " << source.line_number() << " (" << report.not_delivered
              << " lines not delivered); run again with --resume to continue\n";
    co_return 128 + signals.received();
  }
  if (report.stopped_by) {
    print_error(*report.stopped_by);
    std::cerr << "codex: the ingest stopped at line " << source.line_number() << "; " << report.not_delivered
              << " lines were not delivered"
              << (settings.journal.empty() ? "\n" : "; fix the cause and run again with --resume to send them\n");
    co_return exit_code_for(report.stopped_by->code);
  }
  co_return report.rejected + rejected_before > 0 ? exit_partial_ingest : exit_ok;
}

}  // namespace codex::cli
