#include <codex/ingest/position_set.hpp>

#include <algorithm>
#include <iterator>

namespace codex::ingest {

bool position_set::insert(std::uint64_t position) {
  if (contains(position)) return false;
  insert_range(position, position + 1);
  return true;
}

void position_set::insert_range(std::uint64_t first, std::uint64_t last) {
  if (first >= last) return;
  // The first range that may overlap or touch [first, last): the one starting at or
  // before `first` if it reaches it, else the next one.
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    auto before = std::prev(it);
    if (before->second >= first) it = before;
  }
  while (it != ranges_.end() && it->first <= last) {
    first = std::min(first, it->first);
    last = std::max(last, it->second);
    size_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  ranges_.emplace_hint(it, first, last);
  size_ += last - first;
}

bool position_set::contains(std::uint64_t position) const noexcept {
  auto it = ranges_.upper_bound(position);
  if (it == ranges_.begin()) return false;
  --it;
  return position < it->second;
}

}  // namespace codex::ingest
