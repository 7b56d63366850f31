#pragma once
// Documents of every project, with the indexes the routes need: by id, by project in
// sequence order (cursor pagination), and public documents in sequence order
// (anonymous listing). Each document gets a sequence number at creation that never
// changes, so a cursor "after sequence S" visits every document that existed when
// the listing began exactly once, whatever is inserted meanwhile.

#include "emulator/document.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace codex::emulator {

using document_ptr = std::shared_ptr<const document>;

/// The outcome of a write.
enum class write_status {
  created,
  updated,
  not_found,         ///< no such document in the caller's project
  version_conflict,  ///< If-Match did not match
  id_taken,          ///< an upsert id that belongs to another project
  quota_exceeded,    ///< max_documents reached
};

struct write_result {
  write_status status = write_status::created;
  document_ptr doc;  ///< the stored document after the write (created/updated)
};

/// One page of a listing.
struct document_page {
  std::vector<document_ptr> items;
  std::optional<std::uint64_t> next_after;  ///< the cursor's sequence when more may follow
};

/// Opaque cursor text for "after sequence S" (base64url of "v1:S").
std::string encode_cursor(std::uint64_t sequence);
/// The sequence of a cursor; nullopt when it is not one of ours.
std::optional<std::uint64_t> decode_cursor(std::string_view cursor);

/// Not thread-safe: the service calls it under its state mutex. Documents are
/// shared immutable snapshots, so callers may serialize them after unlocking.
class document_store {
 public:
  /// Creates a document (or, with input.id naming an existing document of the
  /// project, updates it: upsert). `new_id` is used when input.id is absent.
  write_result upsert(std::string_view project_id, const document_input& input, std::string new_id,
                      std::chrono::system_clock::time_point now, std::size_t max_documents);
  /// Applies a patch to a document of `project_id`; `if_match` checks its version.
  write_result patch(std::string_view project_id, std::string_view id, const document_input& input,
                     std::optional<std::uint64_t> if_match, std::chrono::system_clock::time_point now);
  /// Deletes a document of `project_id`; false when there is none.
  bool remove(std::string_view project_id, std::string_view id);

  /// The document `id` if `project_id` (empty: anonymous) may see it: its own
  /// documents and every public one.
  document_ptr find_visible(std::string_view id, std::string_view project_id) const;

  /// Up to `limit` documents after sequence `after`, with tag `tag` if given: those of
  /// `project_id`, or the public ones when `project_id` is empty.
  document_page list(std::string_view project_id, std::uint64_t after, std::size_t limit,
                     std::optional<std::string_view> tag) const;

  std::size_t size() const noexcept { return by_id_.size(); }
  void clear();

 private:
  using ordered = std::map<std::uint64_t, document_ptr>;
  void publish(const document_ptr& doc);
  void unpublish(const document& doc);

  std::unordered_map<std::string, document_ptr> by_id_;
  std::unordered_map<std::string, ordered> by_project_;
  ordered public_;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace codex::emulator
