#pragma once
// Results of the batch endpoints: per-item outcomes, partial failure being normal.

#include <codex/api/document.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace codex {

/// The service's reason for one failed item.
struct item_error {
  std::string error;    ///< machine code, e.g. "unprocessable"
  std::string message;  ///< for people
  /// Field by field.
  friend bool operator==(const item_error&, const item_error&) = default;
};

/// The outcome of one item of POST /documents/batch.
struct batch_item_result {
  std::size_t index = 0;  ///< position of the item in the request
  int status = 0;         ///< 201 (created), 200 (upserted), 422, ...
  std::string id;         ///< the document's id when it succeeded
  std::optional<item_error> error;  ///< the service's reason when it failed (absent if the service gave none)
  /// True for a 2xx status: the item was stored.
  bool ok() const noexcept { return status >= 200 && status < 300; }
  /// Field by field.
  friend bool operator==(const batch_item_result&, const batch_item_result&) = default;
};

/// POST /documents/batch: one entry per item.
struct batch_result {
  std::vector<batch_item_result> results;  ///< the per-item outcomes, in the order the service sent them
  std::size_t succeeded = 0;  ///< the service's count of stored items (0 when it sent none)
  std::size_t failed = 0;     ///< the service's count of failed items (0 when it sent none)
};

/// POST /documents/batch_get: the documents found and the ids that were not (missing
/// or private to another project: the service does not say which).
struct batch_get_result {
  std::vector<document> data;        ///< the documents found, in the service's order
  std::vector<std::string> missing;  ///< the ids asked for and not returned
};

}  // namespace codex
