// The ingest journal reader (read_journal, src/ingest/journal.cpp): the bytes of a file
// that a crash, a full disk or anything else may have torn or damaged.
// Invariants: the verified prefix and the discarded tail add up to the input; reading
// the verified prefix alone gives the same contents; the position sets are disjoint,
// non-adjacent ranges whose lengths add up to their size; contents written again with
// the record writers (when small enough to list) read back the same.

#include <codex/ingest/journal.hpp>

#include "support.hpp"

#include <vector>

namespace {

using namespace codex;

void check_set(const ingest::position_set& set) {
  std::uint64_t total = 0;
  std::uint64_t previous_end = 0;
  bool first = true;
  for (const auto& [begin, end] : set.ranges()) {
    FUZZ_CHECK(begin < end);
    FUZZ_CHECK(first || begin > previous_end);  // disjoint and not even touching
    total += end - begin;
    previous_end = end;
    first = false;
  }
  FUZZ_CHECK(total == set.size());
}

bool same(const ingest::journal_contents& a, const ingest::journal_contents& b) {
  return a.has_header == b.has_header && a.job_id == b.job_id && a.acknowledged == b.acknowledged &&
         a.rejected == b.rejected && a.records == b.records;
}

// Every position of a set, or nothing when there are too many to list.
std::vector<std::uint64_t> positions(const ingest::position_set& set) {
  std::vector<std::uint64_t> out;
  if (set.size() > 4096) return out;
  for (const auto& [begin, end] : set.ranges())
    for (std::uint64_t p = begin; p < end; ++p) out.push_back(p);
  return out;
}

void check_written_again(const ingest::journal_contents& contents) {
  const auto accepted = positions(contents.acknowledged), rejected = positions(contents.rejected);
  if (accepted.size() != contents.acknowledged.size() || rejected.size() != contents.rejected.size()) return;
  std::string bytes = ingest::journal_header_record(contents.job_id);
  if (!accepted.empty()) bytes += ingest::journal_ack_record(accepted);
  if (!rejected.empty()) bytes += ingest::journal_reject_record(rejected);
  const auto again = ingest::read_journal(bytes);
  FUZZ_CHECK(again.has_header && again.job_id == contents.job_id);
  FUZZ_CHECK(again.acknowledged == contents.acknowledged && again.rejected == contents.rejected);
  FUZZ_CHECK(again.discarded_bytes == 0 && again.valid_bytes == bytes.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const auto contents = ingest::read_journal(input);
  FUZZ_CHECK(contents.valid_bytes <= size && contents.valid_bytes + contents.discarded_bytes == size);
  FUZZ_CHECK(contents.has_header || (contents.records == 0 && contents.valid_bytes == 0));
  FUZZ_CHECK(contents.has_header == !contents.job_id.empty());
  check_set(contents.acknowledged);
  check_set(contents.rejected);

  const auto prefix = ingest::read_journal(input.substr(0, static_cast<std::size_t>(contents.valid_bytes)));
  FUZZ_CHECK(same(prefix, contents) && prefix.discarded_bytes == 0);
  if (contents.has_header) check_written_again(contents);
  return 0;
}
