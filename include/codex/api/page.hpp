#pragma once
// One page of a list, with the cursor of the next.

#include <optional>
#include <string>
#include <vector>

namespace codex {

/// Items of one list call; `next_cursor` is empty on the last page.
template <class T>
struct page {
  std::vector<T> data;
  std::optional<std::string> next_cursor;
};

}  // namespace codex
