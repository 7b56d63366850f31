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
  std::string text;
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

/// One metadata value: null, boolean, integer, floating point, string, or nested JSON.
using metadata_value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, raw_json>;

/// Metadata: keys in the order the service sent them.
using metadata = std::vector<std::pair<std::string, metadata_value>>;

/// A document as the service returns it.
struct document {
  std::string id;
  std::string project_id;
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  codex::metadata metadata;
  bool is_public = false;  ///< the JSON field "public"
  std::int64_t version = 0;
  std::string created_at;  ///< RFC 3339, UTC
  std::string updated_at;  ///< RFC 3339, UTC

  friend bool operator==(const document&, const document&) = default;
};

/// A document to create, or to upsert when `id` is set.
struct document_input {
  std::optional<std::string> id;  ///< client-chosen id: makes the create an upsert
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  codex::metadata metadata;
  bool is_public = false;

  friend bool operator==(const document_input&, const document_input&) = default;
};

/// A partial update for PATCH: only the fields that are set are sent.
struct document_patch {
  std::optional<std::string> title;
  std::optional<std::string> body;
  std::optional<std::vector<std::string>> tags;
  std::optional<codex::metadata> metadata;
  std::optional<bool> is_public;
};

/// The contract's limits on a document, checked before anything is sent.
struct document_limits {
  static constexpr std::size_t max_title_bytes = 512;
  static constexpr std::size_t max_body_bytes = 1u << 20;
  static constexpr std::size_t max_tags = 64;
  static constexpr std::size_t max_metadata_keys = 64;
  static constexpr std::size_t max_batch_items = 1000;
  static constexpr std::size_t max_batch_bytes = 8u << 20;
};

}  // namespace codex
