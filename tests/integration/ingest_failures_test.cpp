// The ingester when things go wrong, end to end against the in-process emulator over
// real TLS: a credential revoked mid-job, the service unreachable, a Retry-After of a
// day, stop() during a backoff and during a slow response, a journal that cannot be
// written, a crash with invalid items and a torn rejects file. In each: nothing the
// service refused for good is confused with what was not delivered, every wait ends,
// and a resumed job ends with every document exactly once and every rejected line
// exactly once in the rejects file.

#include "ingest_support.hpp"
#include <codex/ingest/journal.hpp>
#include <codex/ingest/rejects.hpp>

#include "run_coroutine.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <optional>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace codex::test::ingest;
using codex::errc;
using clock_type = std::chrono::steady_clock;

namespace {

/// Adds items [0, count) (skipping what the job settled before), stopping quietly when
/// the job stops (add() throws its failure); then finishes.
asio::awaitable<codex::ingest_report> add_all(codex::ingester& in, std::uint64_t count,
                                              bool with_invalid = true) {
  try {
    for (std::uint64_t p = 0; p < count; ++p) co_await in.add(item(p, with_invalid && is_invalid(p)));
  } catch (const codex::error&) {
  }
  co_return co_await in.finish();
}

std::shared_ptr<codex::ingest::journal> reopen(std::shared_ptr<codex::ingest::journal>& journal) {
  const auto path = journal->path();
  journal.reset();
  return codex::ingest::journal::open(path).value();
}

/// The positions of every line of a rejects file; fails the test on a line that is not whole.
std::multiset<std::uint64_t> rejects_file_positions(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::multiset<std::uint64_t> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto position = codex::ingest::reject_line_position(line);
    INFO("rejects line: " << line);
    REQUIRE(position);
    out.insert(*position);
  }
  return out;
}

std::set<std::uint64_t> all_positions(std::uint64_t count) {
  std::set<std::uint64_t> out;
  for (std::uint64_t p = 0; p < count; ++p) out.insert(p);
  return out;
}

std::set<std::uint64_t> invalid_positions(std::uint64_t count) {
  std::set<std::uint64_t> out;
  for (std::uint64_t p = 0; p < count; ++p) {
    if (is_invalid(p)) out.insert(p);
  }
  return out;
}

/// A port on 127.0.0.1 where nothing listens.
unsigned short closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

/// Lowers the largest file this process may write (RLIMIT_FSIZE) for the test's
/// duration: writes past it fail with EFBIG, as on a full disk.
struct file_size_limit {
  explicit file_size_limit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved;
    lowered.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
  }
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
  }
  rlimit saved{};
  void (*previous_handler)(int) = nullptr;
};

}  // namespace

TEST_CASE("ingest: a key revoked mid-job stops it — nothing rejected; resumed with the new key, exactly once",
          "[ingest][failures][mt]") {
  live_emulator live;
  constexpr std::uint64_t count = 3000;
  auto journal = codex::ingest::journal::create(live.dir.path / "revoked.journal").value();
  auto rejects = codex::ingest::rejects_writer::create(live.dir.path / "rejects.jsonl").value();
  const auto cfg = live.client_config();
  std::string new_key;
  std::atomic<int> batches_seen{0};
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 100, .max_in_flight = 2, .journal = journal, .rejects = rejects,
                                 .on_batch = [&](const codex::ingest_batch_event&) {
                                   if (++batches_seen == 5) new_key = live.regenerate_api_key();
                                 }});
        co_return co_await add_all(in, count);
      },
      60s, 2);
  REQUIRE(report.stopped_by);
  CHECK(report.stopped_by->code == errc::unauthenticated);
  CHECK(report.stopped_by->http_status == 401);
  CHECK(report.accepted >= 400);
  CHECK(report.accepted + report.rejected + report.not_delivered == report.added);
  CHECK(report.not_delivered > 0);
  CHECK(report.added < count);
  // The invalid items of the stored batches are refused for good; no item is "rejected" with 401.
  CHECK(rejects->lines() == report.rejected);
  for (const auto& r : report.rejected_items) CHECK(r.status == 422);
  journal = reopen(journal);
  CHECK(journal->acknowledged().size() == report.accepted);
  CHECK(journal->rejected().size() == report.rejected);

  // The key is fixed: --resume sends exactly what was not delivered, and nothing twice.
  rejects.reset();
  rejects = codex::ingest::rejects_writer::resume(live.dir.path / "rejects.jsonl").value();
  auto fixed = cfg;
  fixed.credentials = codex::api_key_credentials{.key = codex::secret(new_key)};
  const auto resumed = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, fixed);
        codex::ingester in(api, {.max_items = 100, .journal = journal, .rejects = rejects});
        co_return co_await add_all(in, count);
      },
      60s, 2);
  CHECK_FALSE(resumed.stopped_by);
  CHECK(resumed.skipped == report.accepted + report.rejected);
  check_exactly(live.documents(fixed), valid_positions(0, count));
  const auto lines = rejects_file_positions(live.dir.path / "rejects.jsonl");
  CHECK(std::set<std::uint64_t>(lines.begin(), lines.end()) == invalid_positions(count));
  CHECK(lines.size() == invalid_positions(count).size());
}

TEST_CASE("ingest: the service unreachable stops the job with the transport error, within its limits",
          "[ingest][failures]") {
  codex::config cfg;
  cfg.base_url = "https://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
  cfg.credentials = codex::api_key_credentials{.key = codex::secret("cdx_0000000000000000000000000000000000000000")};
  cfg.retry.backoff = {.initial = 10ms, .max = 20ms};
  const auto started = clock_type::now();
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 10, .max_batch_attempts = 3, .backoff = {.initial = 10ms, .max = 50ms}});
        co_return co_await add_all(in, 100);
      },
      30s);
  REQUIRE(report.stopped_by);
  CHECK(report.stopped_by->code == errc::connect_failed);
  CHECK(report.stopped_by->message.find("every attempt") != std::string::npos);
  CHECK(report.rejected == 0);
  CHECK(report.accepted == 0);
  CHECK(report.not_delivered == report.added);
  CHECK(clock_type::now() - started < 20s);  // a hang check, not a timing
}

TEST_CASE("ingest: a Retry-After of a day is never slept — the job stops at once with it", "[ingest][failures]") {
  live_emulator live;
  live.configure(R"({"rate_limit":{"limit":1,"window":86400}})");
  const auto cfg = live.client_config();
  const auto started = clock_type::now();
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 10, .max_in_flight = 1});
        co_return co_await add_all(in, 100, false);
      },
      30s);
  REQUIRE(report.stopped_by);
  INFO("stopped by: " << report.stopped_by->describe());
  REQUIRE(report.stopped_by->retry_after);
  CHECK(*report.stopped_by->retry_after > std::chrono::hours(12));
  CHECK(report.accepted == 10);  // the first call went; the second was told to come back in a day
  CHECK(report.rejected == 0);
  CHECK(report.not_delivered == report.added - 10);
  CHECK(clock_type::now() - started < 20s);
}

TEST_CASE("ingest: stop() ends the job at once, whatever it waits for; resumed, exactly once",
          "[ingest][failures][mt]") {
  // The job waits either in a 30-second Retry-After (the call path's or its own) or in
  // a 5-second response; stop() comes 300 ms into that wait.
  const bool in_backoff = GENERATE(true, false);
  INFO((in_backoff ? "waiting out a Retry-After" : "waiting for a slow response"));
  live_emulator live(in_backoff ? codex::emulator::fault_options{} : codex::emulator::fault_options{.latency = 5s});
  if (in_backoff) live.configure(R"({"rate_limit":{"limit":1,"window":30}})");
  constexpr std::uint64_t count = 500;
  auto journal = codex::ingest::journal::create(live.dir.path / "stopped.journal").value();
  const auto cfg = live.client_config();
  std::optional<clock_type::time_point> stopped_at;
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 100, .max_in_flight = 2, .journal = journal});
        const auto stopper = [&]() -> asio::awaitable<void> {
          // Once the first batch settled (backoff case) or at once (slow case), plus 300 ms.
          asio::steady_timer timer(ex);
          while (in_backoff && in.progress().accepted == 0) {
            timer.expires_after(10ms);
            co_await timer.async_wait(asio::use_awaitable);
          }
          timer.expires_after(300ms);
          co_await timer.async_wait(asio::use_awaitable);
          stopped_at = clock_type::now();
          in.stop();
        };
        using namespace asio::experimental::awaitable_operators;
        co_return co_await (stopper() && add_all(in, count, false));
      },
      60s, 2);
  REQUIRE(stopped_at);
  CHECK(clock_type::now() - *stopped_at < 3s);  // a hang check: the waits were 30 s and 5 s
  REQUIRE(report.stopped_by);
  CHECK(report.stopped_by->code == errc::cancelled);
  CHECK(report.not_delivered > 0);
  CHECK(report.accepted + report.not_delivered == report.added);
  journal = reopen(journal);
  CHECK(journal->acknowledged().size() == report.accepted);

  live.configure(R"({"rate_limit":{"limit":100000,"window":1},"faults":{"latency_ms":0}})");
  // Another key: this process's limiter for the first one still keeps the Retry-After.
  auto resume_cfg = cfg;
  resume_cfg.credentials = codex::api_key_credentials{.key = codex::secret(live.create_api_key())};
  const auto resumed = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, resume_cfg);
        codex::ingester in(api, {.max_items = 100, .journal = journal});
        co_return co_await add_all(in, count, false);
      },
      60s);
  CHECK_FALSE(resumed.stopped_by);
  check_exactly(live.documents(resume_cfg), all_positions(count));
}

TEST_CASE("ingest: a journal that cannot be written stops the job; what it did not record is not counted",
          "[ingest][failures]") {
  live_emulator live;
  constexpr std::uint64_t count = 1000;
  auto journal = codex::ingest::journal::create(live.dir.path / "full.journal").value();
  const auto cfg = live.client_config();
  std::optional<codex::ingest_report> report;
  {
    // Room for a few ack records (a batch of consecutive positions is ~12 bytes), then EFBIG.
    const file_size_limit limit(fs::file_size(journal->path()) + 30);
    report = codex::test::run_coroutine(
        [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
          codex::client api(ex, cfg);
          codex::ingester in(api, {.max_items = 100, .max_in_flight = 1, .journal = journal});
          co_return co_await add_all(in, count, false);
        },
        60s);
  }
  REQUIRE(report->stopped_by);
  CHECK(report->stopped_by->code == errc::file_error);
  CHECK(report->stopped_by->message.find("full.journal") != std::string::npos);
  CHECK(report->accepted > 0);
  CHECK(report->accepted < count);
  CHECK(report->accepted + report->not_delivered == report->added);
  journal = reopen(journal);
  CHECK(journal->acknowledged().size() == report->accepted);  // counted accepted = journalled

  // The service stored a batch the journal lacks: resumed, it is sent again as upserts.
  const auto resumed = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 100, .journal = journal});
        co_return co_await add_all(in, count, false);
      },
      60s);
  CHECK_FALSE(resumed.stopped_by);
  check_exactly(live.documents(), all_positions(count));
}

TEST_CASE("ingest: the rejects file is exact — a crash, a torn tail, resumed after finishing", "[ingest][failures]") {
  live_emulator live({.latency = 100ms});
  constexpr std::uint64_t count = 3000;
  const auto journal_path = live.dir.path / "exact.journal";
  const auto rejects_path = live.dir.path / "exact-rejects.jsonl";
  const auto cfg = live.client_config();
  {
    // "Crash": the io_context is torn down with batches in flight.
    // (The producer is detached on purpose: it is abandoned mid-way, as a crash would.)
    auto journal = codex::ingest::journal::create(journal_path).value();
    auto rejects = codex::ingest::rejects_writer::create(rejects_path).value();
    asio::io_context io;
    auto api = std::make_unique<codex::client>(io.get_executor(), cfg);
    auto in = std::make_shared<codex::ingester>(
        *api, codex::ingester_options{.max_items = 100, .linger = 5ms, .max_in_flight = 4, .journal = journal,
                                      .rejects = rejects});
    std::atomic<bool> half{false};
    asio::co_spawn(
        io,
        [in, &half]() -> asio::awaitable<void> {
          for (std::uint64_t p = 0; p < count / 2; ++p) co_await in->add(item(p, is_invalid(p)));
          half = true;
        },
        asio::detached);
    const auto give_up = clock_type::now() + 60s;
    while (!half && clock_type::now() < give_up) io.run_for(5ms);
    REQUIRE(half);
    io.stop();
  }
  // A crash after the rejects file was synced and before the journal's record (a line
  // for a position the journal does not know), then a write cut in the middle of a
  // line, as kill -9 inside write(2) leaves it.
  constexpr std::uint64_t written_not_journalled = 2937;
  REQUIRE(is_invalid(written_not_journalled));
  {
    std::ofstream torn(rejects_path, std::ios::binary | std::ios::app);
    torn << codex::ingest::reject_line({.position = written_not_journalled, .status = 422, .error = "invalid_field",
                                        .message = "title: too long", .original = "{}"})
         << "\n" << R"({"position":999999,"status":422,"error":"inva)";
  }
  const auto resume = [&] {
    auto journal = codex::ingest::journal::open(journal_path).value();
    auto rejects = codex::ingest::rejects_writer::resume(rejects_path).value();
    return codex::test::run_coroutine(
        [&, journal, rejects](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
          codex::client api(ex, cfg);
          codex::ingester in(api, {.max_items = 100, .max_in_flight = 4, .journal = journal, .rejects = rejects});
          co_return co_await add_all(in, count);
        },
        60s, 2);
  };
  const auto first = resume();
  CHECK_FALSE(first.stopped_by);
  const auto finished = rejects_file_positions(rejects_path);
  CHECK(std::set<std::uint64_t>(finished.begin(), finished.end()) == invalid_positions(count));
  CHECK(finished.size() == invalid_positions(count).size());
  // A finished job resumed again, twice: nothing is sent, nothing is written again.
  for (int again = 0; again < 2; ++again) {
    const auto nothing = resume();
    CHECK(nothing.added == 0);
    CHECK(nothing.skipped == count);
    CHECK(nothing.batches == 0);
    CHECK(nothing.fraction_of_bound == 0);
    CHECK(rejects_file_positions(rejects_path) == finished);
  }
  check_exactly(live.documents(), valid_positions(0, count));
}

TEST_CASE("ingest: rejected items stream to the file; the report keeps the first few", "[ingest][failures]") {
  live_emulator live;
  constexpr std::uint64_t count = 5000;
  auto rejects = codex::ingest::rejects_writer::create(live.dir.path / "many.jsonl").value();
  const auto cfg = live.client_config();
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.rejects = rejects});
        for (std::uint64_t p = 0; p < count; ++p) co_await in.add(item(p, p % 10 == 3));
        co_return co_await in.finish();
      },
      60s, 2);
  CHECK(report.rejected == count / 10);
  CHECK(report.rejected_items.size() == codex::ingester_options{}.keep_rejected);
  CHECK(rejects->lines() == count / 10);
  CHECK(report.accepted == count - count / 10);
}

TEST_CASE("ingest: a body refused whole (413) is split down to what the service takes, and the item at fault",
          "[ingest][failures]") {
  // A service that takes at most 7 items and 2,000 bytes per batch, behind an ingester
  // that sends 100: every body is split until it fits; the one item over 2,000 bytes
  // alone is refused for good with the service's 413.
  live_emulator live({}, {.batch_items = 7, .batch_bytes = 2000});
  constexpr std::uint64_t count = 200, oversized = 123;
  const auto cfg = live.client_config();
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 100, .max_in_flight = 2});
        for (std::uint64_t p = 0; p < count; ++p) {
          auto next = item(p);
          if (p == oversized) next.document.body = std::string(3000, 'b');
          co_await in.add(std::move(next));
        }
        co_return co_await in.finish();
      },
      60s);
  CHECK_FALSE(report.stopped_by);
  CHECK(report.accepted == count - 1);
  REQUIRE(report.rejected == 1);
  REQUIRE(report.rejected_items.size() == 1);
  CHECK(report.rejected_items[0].position == oversized);
  CHECK(report.rejected_items[0].status == 413);
  auto expected = all_positions(count);
  expected.erase(oversized);
  check_exactly(live.documents(), expected);
}

TEST_CASE("ingest: an untrusted certificate or a failing token endpoint stops the job; nothing is rejected",
          "[ingest][failures]") {
  live_emulator live({.token_fail = true});
  auto cfg = live.client_config();
  cfg.retry.backoff = {.initial = 10ms, .max = 20ms};
  const bool wrong_ca = GENERATE(true, false);
  std::optional<live_emulator> other;
  if (wrong_ca) {
    other.emplace();  // its own CA, which never signed `live`'s certificate
    cfg.transport.tls.ca_file = other->server.ca_file().string();
  } else {
    cfg.credentials = codex::client_credentials{.client_id = live.server.credentials().client_id,
                                                .client_secret = codex::secret(live.server.credentials().client_secret)};
  }
  INFO((wrong_ca ? "a CA that did not sign the server's certificate" : "POST /auth/token answers 503"));
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 10, .max_batch_attempts = 2, .backoff = {.initial = 10ms, .max = 20ms}});
        co_return co_await add_all(in, 100, false);
      },
      60s);
  REQUIRE(report.stopped_by);
  CHECK(report.stopped_by->code == (wrong_ca ? errc::certificate_rejected : errc::token_unavailable));
  CHECK(report.rejected == 0);
  CHECK(report.accepted == 0);
  CHECK(report.not_delivered == report.added);
}
