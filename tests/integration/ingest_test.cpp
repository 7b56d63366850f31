// codex::ingester end to end against the in-process emulator over real TLS: per-item
// accounting with invalid documents, faults (500/503, dropped and truncated
// responses), backpressure against a slow server, resume from a journal after a
// clean stop and after an abandoned run with batches in flight. Every test checks
// the emulator's contents, not only the ingester's report.

#include "ingest_support.hpp"
#include <codex/client.hpp>
#include <codex/ingest/ingester.hpp>
#include <codex/ingest/journal.hpp>
#include <codex/ingest/stable_id.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/net/url.hpp>

#include "emulator/emulator.hpp"
#include "run_coroutine.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace emu = codex::emulator;
using namespace std::chrono_literals;
using namespace codex::test::ingest;


TEST_CASE("ingest: 20,000 documents, 1 % invalid — every item accounted for", "[ingest]") {
  live_emulator live;
  constexpr std::uint64_t count = 20000;
  const auto cfg = live.client_config();
  std::atomic<std::uint64_t> events{0};
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.keep_rejected = count,
                                 .on_batch = [&](const codex::ingest_batch_event&) { ++events; }});
        for (std::uint64_t p = 0; p < count; ++p) co_await in.add(item(p, is_invalid(p)));
        co_return co_await in.finish();
      },
      120s, 2);

  CHECK(report.added == count);
  CHECK(report.accepted + report.rejected == count);
  CHECK(report.rejected == count / 100);
  std::set<std::uint64_t> rejected_positions;
  for (const auto& r : report.rejected_items) {
    rejected_positions.insert(r.position);
    CHECK(r.status == 422);
    CHECK(r.error == "invalid_field");
    CHECK(r.original == R"({"title":"line )" + std::to_string(r.position) + R"("})");
  }
  std::set<std::uint64_t> invalid;
  for (std::uint64_t p = 0; p < count; ++p) {
    if (is_invalid(p)) invalid.insert(p);
  }
  CHECK(rejected_positions == invalid);
  CHECK(report.batches >= count / 1000);
  CHECK(events.load() >= report.batches);
  CHECK(report.peak_buffered <= 1000 * (8 + 1));
  CHECK(report.items_per_second > 0);
  CHECK(report.fraction_of_bound > 0);
  CHECK(live.rate_limited_sent() == 0);
  check_exactly(live.documents(), valid_positions(0, count));
}

TEST_CASE("ingest: with 500s, 503s, dropped and truncated responses — nothing lost, no duplicates", "[ingest]") {
  live_emulator live({.p500 = 0.2, .p503 = 0.2, .p_drop = 0.1, .p_truncate = 0.1});
  constexpr std::uint64_t count = 10000;
  auto journal = codex::ingest::journal::create(live.dir.path / "faults.journal").value();
  auto rejects = codex::ingest::rejects_writer::create(live.dir.path / "rejects.jsonl").value();
  auto cfg = live.client_config();
  cfg.retry.backoff = {.initial = 50ms, .max = 500ms};
  auto retries = std::make_shared<retry_counter>();
  cfg.observer = retries;
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 500,
                                 .backoff = {.initial = 50ms, .max = 1s},
                                 .journal = journal,
                                 .rejects = rejects,
                                 .keep_rejected = count});
        for (std::uint64_t p = 0; p < count; ++p) co_await in.add(item(p, is_invalid(p)));
        co_return co_await in.finish();
      },
      240s, 2);

  CHECK(report.accepted + report.rejected == count);
  std::set<std::uint64_t> rejected_positions;
  for (const auto& r : report.rejected_items) rejected_positions.insert(r.position);
  std::set<std::uint64_t> invalid;
  for (std::uint64_t p = 0; p < count; ++p) {
    if (is_invalid(p)) invalid.insert(p);
  }
  CHECK(rejected_positions == invalid);
  CHECK(rejects->lines() == report.rejected);
  CHECK_FALSE(report.stopped_by);
  CHECK(report.not_delivered == 0);
  CHECK(retries->retries.load() > 0);  // the faults did force re-sends

  const auto docs = live.documents();
  check_exactly(docs, valid_positions(0, count));
  const std::string job_id = journal->job_id();
  for (const auto& d : docs) {
    CHECK(d.id == codex::ingest::derive_document_id(job_id, static_cast<std::uint64_t>(position_of(d))));
  }
  // The journal holds exactly the settled positions (reopened once this run lets go of it).
  const auto path = journal->path();
  journal.reset();
  auto reloaded = codex::ingest::journal::open(path).value();
  CHECK(reloaded->acknowledged().size() == report.accepted);
  CHECK(reloaded->rejected().size() == report.rejected);
}

TEST_CASE("ingest: a slow server — add() waits and the buffer stays within its bound", "[ingest]") {
  live_emulator live({.latency = 400ms});
  constexpr std::size_t max_items = 10, max_in_flight = 2, producers = 4, per_producer = 40;
  const auto cfg = live.client_config();
  std::uint64_t sampled_peak = 0;
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        auto in = std::make_shared<codex::ingester>(
            api, codex::ingester_options{.max_items = max_items, .linger = 5ms, .max_in_flight = max_in_flight});
        std::atomic<std::size_t> done{0};
        // The producers, and one more task that samples the buffer while they run.
        co_await codex::test::run_all(producers + 1, [&](std::size_t k) -> asio::awaitable<void> {
          if (k < producers) {
            for (std::size_t i = 0; i < per_producer; ++i) co_await in->add(item(k * per_producer + i));
            ++done;
            co_return;
          }
          while (done.load() < producers) {
            sampled_peak = std::max(sampled_peak, in->progress().buffered);
            co_await codex::test::sleep_for(2ms);
          }
        });
        co_return co_await in->finish();
      },
      120s, 2);
  const std::uint64_t bound = max_items * (max_in_flight + 1);
  CHECK(report.accepted == producers * per_producer);
  CHECK(report.peak_buffered <= bound);
  CHECK(sampled_peak <= bound);
  // The producers outran the server: the pipeline filled up to its bound, so add() waited.
  CHECK(report.peak_buffered == bound);
  std::set<std::uint64_t> all;
  for (std::uint64_t p = 0; p < producers * per_producer; ++p) all.insert(p);
  check_exactly(live.documents(), all);
}

TEST_CASE("ingest: resume after a clean stop skips what the journal acknowledged", "[ingest]") {
  live_emulator live;
  constexpr std::uint64_t count = 4000, stop_after = 2000;
  const auto path = live.dir.path / "resume.journal";
  const auto cfg = live.client_config();
  const auto run = [&](std::shared_ptr<codex::ingest::journal> journal, std::uint64_t limit) {
    return codex::test::run_coroutine(
        [&, journal](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
          codex::client api(ex, cfg);
          codex::ingester in(api, {.max_items = 250, .journal = journal});
          std::uint64_t added = 0;
          for (std::uint64_t p = 0; p < count && added < limit; ++p) {
            if (journal->acknowledged().contains(p)) continue;
            co_await in.add(item(p, is_invalid(p)));
            ++added;
          }
          co_return co_await in.finish();
        },
        120s, 2);
  };
  auto first_journal = codex::ingest::journal::create(path).value();
  const auto first = run(first_journal, stop_after);
  CHECK(first.added == stop_after);
  CHECK(first.accepted + first.rejected == stop_after);
  const std::string job_id = first_journal->job_id();
  first_journal.reset();

  auto resumed = codex::ingest::journal::open(path).value();
  CHECK(resumed->job_id() == job_id);
  CHECK(resumed->acknowledged().size() == first.accepted);
  CHECK(resumed->rejected().size() == first.rejected);
  const auto second = run(resumed, count);
  // Only the rest was sent: the first half's invalid items are settled too (rejected,
  // in the journal), so add() skipped them.
  CHECK(second.skipped == first.rejected);
  CHECK(second.added == count - first.accepted - first.rejected);
  CHECK(second.accepted == count - count / 100 - first.accepted);
  CHECK(second.rejected == count / 100 - first.rejected);
  check_exactly(live.documents(), valid_positions(0, count));
}

TEST_CASE("ingest: an abandoned run with batches in flight, resumed — exactly the full set", "[ingest]") {
  live_emulator live({.latency = 150ms});
  constexpr std::uint64_t count = 3000;
  const auto path = live.dir.path / "crash.journal";
  const auto cfg = live.client_config();
  {
    // "Crash": the producer adds half the input, then the io_context is torn down with
    // batches in flight — some stored by the service but never journalled.
    // (The producer is detached on purpose: it is abandoned mid-way, as a crash would.)
    auto journal = codex::ingest::journal::create(path).value();
    asio::io_context io;
    auto api = std::make_unique<codex::client>(io.get_executor(), cfg);
    auto in = std::make_shared<codex::ingester>(
        *api, codex::ingester_options{.max_items = 100, .linger = 5ms, .max_in_flight = 4, .journal = journal});
    std::atomic<bool> half{false};
    asio::co_spawn(
        io,
        [in, &half]() -> asio::awaitable<void> {
          for (std::uint64_t p = 0; p < count / 2; ++p) co_await in->add(item(p));
          half = true;
        },
        asio::detached);
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!half && std::chrono::steady_clock::now() < give_up) io.run_for(5ms);
    REQUIRE(half);
    CHECK(in->progress().in_flight > 0);
    io.stop();
  }
  auto journal = codex::ingest::journal::open(path).value();
  const auto acknowledged = journal->acknowledged().size();
  CHECK(acknowledged < count / 2);
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_items = 100, .journal = journal});
        for (std::uint64_t p = 0; p < count; ++p) {
          if (!journal->acknowledged().contains(p)) co_await in.add(item(p));
        }
        co_return co_await in.finish();
      },
      120s, 2);
  CHECK(report.accepted == count - acknowledged);
  CHECK(report.rejected == 0);
  std::set<std::uint64_t> all;
  for (std::uint64_t p = 0; p < count; ++p) all.insert(p);
  check_exactly(live.documents(), all);
}

TEST_CASE("ingest: refused items and a refused credential are told apart; add(document) ids", "[ingest]") {
  live_emulator live;
  SECTION("a read-only key: the first 403 stops the job — nothing rejected, nothing journalled, add() throws it") {
    auto cfg = live.client_config();
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(live.server.credentials().read_only_api_key)};
    auto journal = codex::ingest::journal::create(live.dir.path / "read-only.journal").value();
    std::optional<codex::error> thrown;
    const auto report = codex::test::run_coroutine(
        [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
          codex::client api(ex, cfg);
          codex::ingester in(api, {.max_items = 40, .journal = journal});
          try {
            for (std::uint64_t p = 0; p < 1000; ++p) co_await in.add(item(p));
          } catch (const codex::error& e) {
            thrown = e;
          }
          co_return co_await in.finish();
        },
        60s);
    REQUIRE(thrown);
    CHECK(thrown->code() == codex::errc::permission_denied);
    REQUIRE(report.stopped_by);
    CHECK(report.stopped_by->code == codex::errc::permission_denied);
    CHECK(report.stopped_by->http_status == 403);
    CHECK(report.accepted == 0);
    CHECK(report.rejected == 0);
    CHECK(report.not_delivered == report.added);
    CHECK(report.added < 1000);  // the job stopped early: the rest was never taken
    CHECK(report.batch_retries == 0);
    const auto path = journal->path();
    journal.reset();
    auto reloaded = codex::ingest::journal::open(path).value();
    CHECK(reloaded->acknowledged().empty());
    CHECK(reloaded->rejected().empty());
    CHECK(live.documents().empty());
  }
  SECTION("an item too large for any batch is rejected before sending; the others go") {
    const auto cfg = live.client_config();
    const auto report = codex::test::run_coroutine(
        [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
          codex::client api(ex, cfg);
          codex::ingester in(api, {.max_items = 10, .max_bytes = 1000, .id_seed = "seed"});
          for (std::uint64_t p = 0; p < 30; ++p) {
            auto next = item(p).document;
            if (p == 7) next.body = std::string(2000, 'b');
            co_await in.add(std::move(next));  // automatic positions 0, 1, 2, ...
          }
          co_return co_await in.finish();
        },
        60s);
    CHECK(report.accepted == 29);
    REQUIRE(report.rejected_items.size() == 1);
    CHECK(report.rejected_items[0].position == 7);
    CHECK(report.rejected_items[0].status == 413);
    CHECK(report.rejected_items[0].error == "payload_too_large");
    const auto docs = live.documents();
    CHECK(docs.size() == 29);
    for (const auto& d : docs) {
      CHECK(d.id == codex::ingest::derive_document_id("seed", static_cast<std::uint64_t>(position_of(d))));
    }
  }
}

TEST_CASE("ingest: a batch body of exactly 8 MiB is sent whole and accepted", "[ingest]") {
  live_emulator live;
  constexpr std::size_t limit = 8u << 20;
  // Eight items of 1,000,000-byte bodies, and a ninth sized so that the body of the
  // nine is exactly 8 MiB; a tenth, small item must then go in a second batch.
  std::vector<codex::document_input> docs;
  std::size_t used = 12 + 8;  // wrapper + the commas between nine items
  for (std::uint64_t p = 0; p < 8; ++p) {
    auto d = item(p).document;
    d.body = std::string(1000000, 'b');
    std::string encoded;
    REQUIRE_FALSE(codex::json::encode(d, encoded));
    used += encoded.size();
    docs.push_back(std::move(d));
  }
  auto ninth = item(8).document;
  ninth.body.clear();
  std::string encoded;
  REQUIRE_FALSE(codex::json::encode(ninth, encoded));
  REQUIRE(used + encoded.size() < limit);
  ninth.body = std::string(limit - used - encoded.size(), 'b');
  REQUIRE(ninth.body.size() < codex::document_limits::max_body_bytes);
  docs.push_back(std::move(ninth));
  docs.push_back(item(9).document);

  const auto cfg = live.client_config();
  std::vector<std::size_t> batch_sizes;
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api, {.max_in_flight = 1,
                                 .on_batch = [&](const codex::ingest_batch_event& e) { batch_sizes.push_back(e.items); }});
        for (auto& d : docs) co_await in.add(std::move(d));
        co_return co_await in.finish();
      },
      60s);
  CHECK(report.accepted == 10);
  CHECK(report.rejected == 0);
  CHECK(batch_sizes == std::vector<std::size_t>{9, 1});
  CHECK(live.documents().size() == 10);
}

// Hidden (run with "[throughput]"): prints how close an ingest comes to the bound the
// rate limit sets, with the client's limit equal to the server's. Not a timed test:
// bench/ holds the measured benchmark.
TEST_CASE("ingest: fraction of the rate-limit bound", "[.][throughput]") {
  live_emulator live;
  live.configure(R"({"rate_limit":{"limit":20,"window":1}})");
  auto cfg = live.client_config();
  cfg.rate_limit = codex::limit::rate_limit{.limit = 20, .period = 1s, .burst = 1};
  constexpr std::uint64_t count = 60000;
  const auto report = codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::ingest_report> {
        codex::client api(ex, cfg);
        codex::ingester in(api);
        for (std::uint64_t p = 0; p < count; ++p) co_await in.add(item(p));
        co_return co_await in.finish();
      },
      120s, 2);
  WARN("items/s " << report.items_per_second << ", fraction of bound " << report.fraction_of_bound << ", batches "
                  << report.batches << ", 429s seen by the server " << live.rate_limited_sent());
  CHECK(report.accepted == count);
  CHECK(live.rate_limited_sent() == 0);
}
