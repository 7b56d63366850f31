// The ingest journal: record framing, round trips through a file, a torn last record
// cut at every byte offset, damaged checksums, resume semantics; and position_set.

#include "temp_dir.hpp"
#include <codex/ingest/journal.hpp>
#include <codex/ingest/position_set.hpp>

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
using codex::ingest::journal;
using codex::ingest::position_set;

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
  const auto contents = codex::ingest::read_journal(bytes);
  CHECK(contents.has_header);
  CHECK(contents.job_id == "0123456789abcdef0123456789abcdef");
  CHECK(contents.records == 4);
  CHECK(contents.valid_bytes == bytes.size());
  CHECK(contents.discarded_bytes == 0);
  CHECK(contents.acknowledged == set_of({3, 4, 5, 6, 7, 8, 9, 1000000, 1ull << 40}));
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
    REQUIRE(j.append(batch1).has_value());
    REQUIRE(j.append(batch2).has_value());
  }
  {
    auto opened = journal::open(path);
    REQUIRE(opened.has_value());
    auto& j = **opened;
    CHECK(j.job_id() == job_id);
    CHECK(j.discarded_bytes() == 0);
    CHECK(j.acknowledged() == set_of({0, 1, 2, 3, 4, 5, 10, 11}));
    const std::vector<std::uint64_t> batch3{6, 7};
    REQUIRE(j.append(batch3).has_value());
  }
  auto reopened = journal::open(path);
  REQUIRE(reopened.has_value());
  CHECK((*reopened)->job_id() == job_id);
  CHECK((*reopened)->acknowledged() == set_of({0, 1, 2, 3, 4, 5, 6, 7, 10, 11}));

  // create() starts a new job: new id, nothing acknowledged.
  auto fresh = journal::create(path);
  REQUIRE(fresh.has_value());
  CHECK((*fresh)->job_id() != job_id);
  CHECK((*fresh)->acknowledged().empty());
}

TEST_CASE("journal: open() of a missing file starts a new job", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "new.journal";
  auto opened = journal::open(path);
  REQUIRE(opened.has_value());
  CHECK((*opened)->acknowledged().empty());
  CHECK((*opened)->job_id().size() == 32);
  CHECK(fs::exists(path));
  auto again = journal::open(path);
  REQUIRE(again.has_value());
  CHECK((*again)->job_id() == (*opened)->job_id());
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
    REQUIRE((*created)->append(kept).has_value());
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

TEST_CASE("journal: a torn header starts afresh; a damaged header with records is an error", "[ingest][journal]") {
  temp_dir dir;
  const auto path = dir.path / "header.journal";
  const std::string header = codex::ingest::journal_header_record("0123456789abcdef0123456789abcdef");
  for (std::size_t cut = 0; cut < header.size(); ++cut) {
    write_bytes(path, header.substr(0, cut));
    auto opened = journal::open(path);
    REQUIRE(opened.has_value());
    CHECK((*opened)->acknowledged().empty());
    CHECK((*opened)->job_id() != "0123456789abcdef0123456789abcdef");
  }
  std::string damaged = header + codex::ingest::journal_ack_record(std::vector<std::uint64_t>{1});
  damaged[6] = static_cast<char>(damaged[6] ^ 1);
  write_bytes(path, damaged);
  auto refused = journal::open(path);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.code() == codex::errc::decode_error);
}

TEST_CASE("journal: errors are typed", "[ingest][journal]") {
  auto refused = journal::create("/nonexistent-dir-for-codex-tests/x.journal");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.code() == codex::errc::io_error);
  CHECK(refused.error().message.find("x.journal") != std::string::npos);
}
