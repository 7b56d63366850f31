#pragma once
// One page of a list, with the cursor of the next.

#include <optional>
#include <string>
#include <vector>

namespace codex {

/// Items of one list call; `next_cursor` is empty on the last page. A plain value.
template <class T>
struct page {
  std::vector<T> data;  ///< this page's items, in the service's order (may be empty)
  /// Pass it as list_options::cursor to get the following page; std::nullopt (the
  /// field absent or null in the response) on the last page.
  std::optional<std::string> next_cursor;
};

}  // namespace codex
