// The ingest journal: record framing, round trips through a file, a torn last record
// cut at every byte offset, damaged checksums, resume semantics (a journal that cannot
// be resumed is refused, never replaced), the one-process lock; the rejects file (whole
// lines, a torn tail cut at every byte, original bytes kept); and position_set.

#include "temp_dir.hpp"
#include <codex/ingest/journal.hpp>
#include <codex/ingest/position_set.hpp>
#include <codex/ingest/rejects.hpp>

#include "ingest/crc32.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using codex::errc;
using codex::ingest::journal;
using codex::ingest::position_set;
using codex::ingest::rejects_writer;

namespace {

/// A fresh directory, removed at the end of the test.
struct temp_dir : codex::test::temp_dir {
  temp_dir() : codex::test::temp_dir("codex-journal") {}
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

position_set set_of(std::initializer_list<std::uint64_t> positions) {
  position_set s;
  for (auto p : positions) s.insert(p);
  return s;
}

}  // namespace

TEST_CASE("crc32 matches the IEEE check value", "[ingest][journal]") {
  CHECK(codex::ingest::detail::crc32("123456789") == 0xCBF43926u);
  CHECK(codex::ingest::detail::crc32("") == 0u);
  // Continuation equals one pass.
  CHECK(codex::ingest::detail::crc32("6789", codex::ingest::detail::crc32("12345")) == 0xCBF43926u);
}

TEST_CASE("position_set keeps disjoint, merged ranges", "[ingest][journal]") {
  position_set s;
  CHECK(s.empty());
  CHECK(s.insert(5));
  CHECK_FALSE(s.insert(5));
  CHECK(s.insert(7));
  CHECK(s.ranges().size() == 2);
  CHECK(s.insert(6));  // bridges [5,6) and [7,8)
  CHECK(s.ranges().size() == 1);
  CHECK(s.ranges().begin()->first == 5);
  CHECK(s.ranges().begin()->second == 8);
  s.insert_range(100, 200);
  s.insert_range(150, 250);  // overlaps
  s.insert_range(250, 260);  // touches
  s.insert_range(0, 0);      // empty
  CHECK(s.ranges().size() == 2);
  CHECK(s.size() == 3 + 160);
  CHECK(s.contains(100));
  CHECK(s.contains(259));
  CHECK_FALSE(s.contains(260));
  CHECK_FALSE(s.contains(99));
  CHECK_FALSE(s.contains(4));
  s.insert_range(0, 1000);  // swallows everything
  CHECK(s.ranges().size() == 1);
  CHECK(s.size() == 1000);

  // Random inserts agree with a plain set.
  std::mt19937_64 rng(42);
  position_set r;
  std::vector<bool> model(2000, false);
  for (int i = 0; i < 3000; ++i) {
    const auto first = rng() % 1900;
    const auto len = rng() % 8;
    r.insert_range(first, first + len);
    for (auto p = first; p < first + len; ++p) model[p] = true;
  }
  std::uint64_t count = 0;
  for (std::uint64_t p = 0; p < model.size(); ++p) {
    CHECK(r.contains(p) == model[p]);
    count += model[p] ? 1 : 0;
  }
  CHECK(r.size() == count);
  std::uint64_t previous_end = 0;
  for (const auto& [first, last] : r.ranges()) {
    CHECK(first < last);
    if (first != r.ranges().begin()->first) CHECK(first > previous_end);  // disjoint, not adjacent
    previous_end = last;
  }
}

TEST_CASE("journal records: header and ranges round trip in memory", "[ingest][journal]") {
  std::string bytes = codex::ingest::journal_header_record("0123456789abcdef0123456789abcdef");
  const std::vector<std::uint64_t> first{9, 3, 4, 5, 3, 1000000, 1ull << 40};
  const std::vector<std::uint64_t> second{6, 7, 8};
  bytes += codex::ingest::journal_ack_record(first);
  bytes += codex::ingest::journal_ack_record(second);
  bytes += codex::ingest::journal_ack_record(std::vector<std::uint64_t>{});
  bytes += codex::ingest::journal_reject_record(std::vector<std::uint64_t>{11, 2, 12});
  const auto contents = codex::ingest::read_journal(bytes);
  CHECK(contents.has_header);
  CHECK(contents.job_id == "0123456789abcdef0123456789abcdef");
  CHECK(contents.records == 5);
  CHECK(contents.valid_bytes == bytes.size());
  CHECK(contents.discarded_bytes == 0);
  CHECK(contents.acknowledged == set_of({3, 4, 5, 6, 7, 8, 9, 1000000, 1ull << 40}));
  CHECK(contents.rejected == set_of({2, 11, 12}));
}

TEST_CASE("journal: a file round trip, then resume appends to it", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "job.journal";
  std::string job_id;
  {
    auto created = journal::create(path);
    REQUIRE(created.has_value());
    auto& j = **created;
    job_id = j.job_id();
    CHECK(job_id.size() == 32);
    CHECK(j.acknowledged().empty());
    const std::vector<std::uint64_t> batch1{0, 1, 2, 3, 5};
    const std::vector<std::uint64_t> batch2{4, 10, 11};
    const std::vector<std::uint64_t> refused{8, 9};
    REQUIRE(j.append(batch1).has_value());
    REQUIRE(j.append(batch2, refused).has_value());
  }
  {
    auto opened = journal::open(path);
    REQUIRE(opened.has_value());
    auto& j = **opened;
    CHECK(j.job_id() == job_id);
    CHECK(j.discarded_bytes() == 0);
    CHECK(j.acknowledged() == set_of({0, 1, 2, 3, 4, 5, 10, 11}));
    CHECK(j.rejected() == set_of({8, 9}));
    const std::vector<std::uint64_t> batch3{6, 7};
    REQUIRE(j.append(batch3).has_value());
  }
  {
    auto reopened = journal::open(path);
    REQUIRE(reopened.has_value());
    CHECK((*reopened)->job_id() == job_id);
    CHECK((*reopened)->acknowledged() == set_of({0, 1, 2, 3, 4, 5, 6, 7, 10, 11}));
    CHECK((*reopened)->rejected() == set_of({8, 9}));
  }

  // create() starts a new job: new id, nothing acknowledged.
  auto fresh = journal::create(path);
  REQUIRE(fresh.has_value());
  CHECK((*fresh)->job_id() != job_id);
  CHECK((*fresh)->acknowledged().empty());
  CHECK((*fresh)->rejected().empty());
}

TEST_CASE("journal: open() of a missing or empty file is refused, never a silent new job", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "new.journal";
  auto missing = journal::open(path);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.code() == errc::journal_damaged);
  CHECK(missing.error().message.find("new.journal") != std::string::npos);
  CHECK(missing.error().message.find("does not exist") != std::string::npos);
  CHECK_FALSE(fs::exists(path));

  write_bytes(path, "");
  auto empty = journal::open(path);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.code() == errc::journal_damaged);
  CHECK(empty.error().message.find("is empty") != std::string::npos);
  // The error says "journal", never "response body".
  CHECK(empty.error().describe().find("journal") != std::string::npos);
  CHECK(empty.error().describe().find("response") == std::string::npos);
}

TEST_CASE("journal: a job id of the caller's seeds the header; bad ones are refused", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "named.journal";
  {
    auto created = journal::create(path, "job-from-input.jsonl");
    REQUIRE(created.has_value());
    CHECK((*created)->job_id() == "job-from-input.jsonl");
  }
  auto opened = journal::open(path);
  REQUIRE(opened.has_value());
  CHECK((*opened)->job_id() == "job-from-input.jsonl");
  opened->reset();
  for (const std::string& bad : {std::string(65, 'a'), std::string("with space"), std::string("line\nbreak")}) {
    auto refused = journal::create(dir.path / "bad.journal", bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.code() == errc::invalid_argument);
  }
}

TEST_CASE("journal: one job, one process — a second open or create fails at once", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "locked.journal";
  auto first = journal::create(path);
  REQUIRE(first.has_value());
  const std::vector<std::uint64_t> done{1, 2};
  REQUIRE((*first)->append(done).has_value());
  const auto size = fs::file_size(path);

  auto second = journal::open(path);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.code() == errc::job_locked);
  CHECK(second.error().message.find("locked.journal") != std::string::npos);
  auto replaced = journal::create(path);
  REQUIRE_FALSE(replaced.has_value());
  CHECK(replaced.code() == errc::job_locked);
  CHECK(fs::file_size(path) == size);  // the running job's journal is untouched

  first->reset();  // the lock goes with the file
  auto after = journal::open(path);
  REQUIRE(after.has_value());
  CHECK((*after)->acknowledged() == set_of({1, 2}));
}

TEST_CASE("journal: a torn last record, cut at every byte, is ignored and truncated", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "torn.journal";
  std::string job_id;
  std::size_t good_size = 0;
  {
    auto created = journal::create(path);
    REQUIRE(created.has_value());
    job_id = (*created)->job_id();
    const std::vector<std::uint64_t> kept{1, 2, 3};
    const std::vector<std::uint64_t> kept_rejected{9};
    REQUIRE((*created)->append(kept, kept_rejected).has_value());
    good_size = fs::file_size(path);
    const std::vector<std::uint64_t> last{100, 101, 250, 7000};
    REQUIRE((*created)->append(last).has_value());
  }
  const std::string full = read_bytes(path);
  REQUIRE(full.size() > good_size);
  for (std::size_t cut = good_size; cut < full.size(); ++cut) {
    INFO("cut at byte " << cut << " of " << full.size());
    write_bytes(path, full.substr(0, cut));
    auto opened = journal::open(path);
    REQUIRE(opened.has_value());
    CHECK((*opened)->job_id() == job_id);
    CHECK((*opened)->acknowledged() == set_of({1, 2, 3}));
    CHECK((*opened)->rejected() == set_of({9}));
    CHECK((*opened)->discarded_bytes() == cut - good_size);
    CHECK(fs::file_size(path) == good_size);  // the torn tail is gone before appending
    // Appending after the cut is read back: nothing is lost behind the torn bytes.
    const std::vector<std::uint64_t> next{42};
    REQUIRE((*opened)->append(next).has_value());
    opened->reset();
    auto after = journal::open(path);
    REQUIRE(after.has_value());
    CHECK((*after)->acknowledged() == set_of({1, 2, 3, 42}));
  }
  // The whole file loads completely.
  write_bytes(path, full);
  auto whole = journal::open(path);
  REQUIRE(whole.has_value());
  CHECK((*whole)->acknowledged() == set_of({1, 2, 3, 100, 101, 250, 7000}));
  CHECK((*whole)->rejected() == set_of({9}));
}

TEST_CASE("journal: a damaged checksum or payload stops loading at that record", "[ingest][journal]") {
  std::string bytes = codex::ingest::journal_header_record("feedfacefeedfacefeedfacefeedface");
  const std::vector<std::uint64_t> a{1, 2};
  const std::vector<std::uint64_t> b{3, 4};
  const std::vector<std::uint64_t> c{5};
  bytes += codex::ingest::journal_ack_record(a);
  const std::size_t b_offset = bytes.size();
  bytes += codex::ingest::journal_ack_record(b);
  const std::size_t c_offset = bytes.size();
  bytes += codex::ingest::journal_ack_record(c);

  // Flip each byte of record b in turn: b and everything after it are dropped.
  for (std::size_t i = b_offset; i < c_offset; ++i) {
    INFO("flipped byte " << i);
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    const auto contents = codex::ingest::read_journal(damaged);
    CHECK(contents.has_header);
    CHECK(contents.acknowledged == set_of({1, 2}));
    CHECK(contents.valid_bytes == b_offset);
    CHECK(contents.discarded_bytes == damaged.size() - b_offset);
  }

  // Through a file: open() keeps the verified prefix and truncates the rest.
  temp_dir dir;
  const auto path = dir.path / "damaged.journal";
  std::string damaged = bytes;
  damaged[c_offset - 1] = static_cast<char>(damaged[c_offset - 1] ^ 1);  // b's CRC
  write_bytes(path, damaged);
  auto opened = journal::open(path);
  REQUIRE(opened.has_value());
  CHECK((*opened)->job_id() == "feedfacefeedfacefeedfacefeedface");
  CHECK((*opened)->acknowledged() == set_of({1, 2}));
  CHECK(fs::file_size(path) == b_offset);
}

TEST_CASE("journal: a torn or damaged header is refused and the file left as it was", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "header.journal";
  const std::string header = codex::ingest::journal_header_record("0123456789abcdef0123456789abcdef");
  for (std::size_t cut = 1; cut < header.size(); ++cut) {
    INFO("header cut at byte " << cut);
    write_bytes(path, header.substr(0, cut));
    auto refused = journal::open(path);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.code() == errc::journal_damaged);
    CHECK(refused.error().message.find("header") != std::string::npos);
    CHECK(read_bytes(path) == header.substr(0, cut));
  }
  std::string damaged = header + codex::ingest::journal_ack_record(std::vector<std::uint64_t>{1});
  damaged[6] = static_cast<char>(damaged[6] ^ 1);
  write_bytes(path, damaged);
  auto refused = journal::open(path);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.code() == errc::journal_damaged);
  CHECK(read_bytes(path) == damaged);
}

TEST_CASE("journal: errors are typed", "[ingest][journal]") {
  auto refused = journal::create("/nonexistent-dir-for-codex-tests/x.journal");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.code() == errc::file_error);
  CHECK(refused.error().message.find("x.journal") != std::string::npos);
}

TEST_CASE("rejects file: whole lines, read back on resume, a torn tail cut at every byte", "[ingest][rejects]") {
  temp_dir dir;
  const auto path = dir.path / "rejects.jsonl";
  const std::vector<codex::rejected_item> first{
      {.position = 3, .status = 422, .error = "invalid_field", .message = "title: too long", .original = "{\"a\":1}"},
      {.position = 7, .error = "invalid_json", .message = "not JSON", .original = "nope"}};
  const std::vector<codex::rejected_item> last{
      {.position = 12, .status = 422, .error = "invalid_field", .message = "m", .original = std::string("\xff\x00z", 3)}};
  std::size_t good_size = 0;
  {
    auto created = rejects_writer::create(path);
    REQUIRE(created.has_value());
    REQUIRE((*created)->write(first).has_value());
    REQUIRE((*created)->sync().has_value());
    good_size = fs::file_size(path);
    REQUIRE((*created)->write(last).has_value());
    CHECK((*created)->lines() == 3);
    // One job, one process: the file is locked while it is written.
    auto second = rejects_writer::resume(path);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.code() == errc::job_locked);
  }
  const std::string full = read_bytes(path);
  for (std::size_t cut = good_size; cut < full.size(); ++cut) {
    INFO("cut at byte " << cut << " of " << full.size());
    write_bytes(path, full.substr(0, cut));
    auto resumed = rejects_writer::resume(path);
    REQUIRE(resumed.has_value());
    CHECK((*resumed)->positions() == set_of({3, 7}));
    CHECK((*resumed)->discarded_bytes() == cut - good_size);
    CHECK(fs::file_size(path) == good_size);  // nothing is glued to a torn line
  }
  write_bytes(path, full);
  auto whole = rejects_writer::resume(path);
  REQUIRE(whole.has_value());
  CHECK((*whole)->positions() == set_of({3, 7, 12}));
  CHECK((*whole)->discarded_bytes() == 0);
  // Every line is JSON; the line that was not UTF-8 is kept exactly, as base64.
  CHECK(full.find(R"("line_base64":"/wB6")") != std::string::npos);
  CHECK(full.find(R"("line":"nope")") != std::string::npos);
  // create() empties the file of an earlier job.
  whole->reset();
  auto fresh = rejects_writer::create(path);
  REQUIRE(fresh.has_value());
  CHECK(fs::file_size(path) == 0);
}

TEST_CASE("rejects file: a damaged line ends what resume() keeps", "[ingest][rejects]") {
  using codex::ingest::reject_line_position;
  CHECK(reject_line_position(R"({"position":42,"status":422,"error":"e","message":"m","line":"x"})") == 42u);
  CHECK_FALSE(reject_line_position(R"({"position":42,"status":422,"error":"e","message":"m","line":"x")"));
  CHECK_FALSE(reject_line_position(R"({"position":,"status":0})"));
  CHECK_FALSE(reject_line_position(R"({"position":4x2,"status":0})"));
  CHECK_FALSE(reject_line_position(std::string("{\"position\":1,\"status\":0,\"line\":\"\xff\"}")));
  CHECK_FALSE(reject_line_position(""));

  temp_dir dir;
  const auto path = dir.path / "damaged.jsonl";
  const codex::rejected_item a{.position = 1, .original = "a"};
  const codex::rejected_item b{.position = 2, .original = "b"};
  write_bytes(path, codex::ingest::reject_line(a) + "\n" + "garbage\n" + codex::ingest::reject_line(b) + "\n");
  auto resumed = rejects_writer::resume(path);
  REQUIRE(resumed.has_value());
  CHECK((*resumed)->positions() == set_of({1}));
  CHECK(read_bytes(path) == codex::ingest::reject_line(a) + "\n");
}
