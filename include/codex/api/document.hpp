#pragma once
// The Document resource, as read (document) and as written (document_input).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace codex {

/// A metadata value that is an object or array, kept as its JSON text.
struct raw_json {
  std::string text;  ///< the value's JSON text, e.g. `{"a":1}` or `[1,2]`; written out verbatim when encoded
  /// Compares the texts byte for byte (`{"a":1}` and `{ "a": 1 }` differ).
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

/// One metadata value: null, boolean, integer, floating point, string, or nested JSON.
using metadata_value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, raw_json>;

/// Metadata: keys in the order the service sent them.
using metadata = std::vector<std::pair<std::string, metadata_value>>;

/// A document as the service returns it.
struct document {
  std::string id;          ///< the service's id ("doc_…"), or the one the client chose with document_input::id
  std::string project_id;  ///< the project that owns the document
  std::string title;       ///< UTF-8, at most document_limits::max_title_bytes bytes
  std::string body;        ///< UTF-8, at most document_limits::max_body_bytes bytes
  std::vector<std::string> tags;  ///< at most document_limits::max_tags, in the service's order
  codex::metadata metadata;       ///< at most document_limits::max_metadata_keys keys, in the service's order
  bool is_public = false;  ///< the JSON field "public": readable by every caller, anonymous ones included
  /// 1 when created, plus one per update; pass it as documents::update()'s `if_match`
  /// to update only if nobody changed the document since it was read.
  std::int64_t version = 0;
  std::string created_at;  ///< RFC 3339, UTC
  std::string updated_at;  ///< RFC 3339, UTC

  /// Field by field (the timestamps compared as text).
  friend bool operator==(const document&, const document&) = default;
};

/// A document to create, or to upsert when `id` is set.
struct document_input {
  std::optional<std::string> id;  ///< client-chosen id: makes the create an upsert
  std::string title;              ///< UTF-8, at most document_limits::max_title_bytes bytes
  std::string body;               ///< UTF-8, at most document_limits::max_body_bytes bytes
  std::vector<std::string> tags;  ///< at most document_limits::max_tags, each UTF-8
  codex::metadata metadata;       ///< at most document_limits::max_metadata_keys keys, each UTF-8
  bool is_public = false;         ///< sent as "public": readable by every caller, anonymous ones included

  /// Field by field.
  friend bool operator==(const document_input&, const document_input&) = default;
};

/// A partial update for PATCH: only the fields that are set are sent.
struct document_patch {
  std::optional<std::string> title;              ///< the new title (same limits as document_input::title)
  std::optional<std::string> body;               ///< the new body
  std::optional<std::vector<std::string>> tags;  ///< replaces every tag (an empty vector removes them all)
  std::optional<codex::metadata> metadata;       ///< replaces the whole metadata object
  std::optional<bool> is_public;                 ///< sent as "public"
};

/// The contract's limits on a document, checked before anything is sent.
struct document_limits {
  static constexpr std::size_t max_title_bytes = 512;       ///< bytes of UTF-8 in a title
  static constexpr std::size_t max_body_bytes = 1u << 20;   ///< bytes of UTF-8 in a body (1 MiB)
  static constexpr std::size_t max_tags = 64;               ///< tags per document
  static constexpr std::size_t max_metadata_keys = 64;      ///< top-level metadata keys per document
  static constexpr std::size_t max_batch_items = 1000;      ///< items per batch_create or batch_get call
  static constexpr std::size_t max_batch_bytes = 8u << 20;  ///< bytes of a batch_create body as encoded (8 MiB)
};

}  // namespace codex
