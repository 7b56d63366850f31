#pragma once
// The parameters of GET /documents: page size, where to start, which tag.

#include <cstddef>
#include <optional>
#include <string>

namespace codex {

/// What documents().list() and list_all() ask for. Every field is optional: unset
/// ones are not sent and the service's defaults apply.
struct list_options {
  /// Page size, 1 to list_limits::max_page_size; unset: the service's default (100).
  std::optional<std::size_t> limit;
  /// Where to start: the next_cursor of an earlier page; unset: the first page.
  std::optional<std::string> cursor;
  /// Only documents carrying this tag.
  std::optional<std::string> tag;
};

/// The contract's bounds on list calls, checked before anything is sent.
struct list_limits {
  static constexpr std::size_t max_page_size = 1000;  ///< the largest list_options::limit
};

}  // namespace codex
