#pragma once
// The Document resource: its stored form, the input a client sends (create, upsert,
// patch, batch item) with the contract's field limits, and its JSON form.

#include "emulator/api_error.hpp"
#include "emulator/config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace codex::json { class writer; }

namespace codex::emulator {

/// A metadata value: JSON scalars only (nested values are refused with 422).
using metadata_value = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string>;
using metadata_map = std::vector<std::pair<std::string, metadata_value>>;

/// A stored document. Immutable once published in the store (updates make a copy).
struct document {
  std::string id;
  std::string project_id;
  std::string title;
  std::string body;
  std::vector<std::string> tags;
  metadata_map metadata;
  bool is_public = false;
  std::uint64_t version = 1;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point updated_at;
  std::uint64_t sequence = 0;  ///< insertion order within the emulator: what cursors encode
};

/// The client-settable fields, each present or not.
struct document_input {
  std::optional<std::string> id;
  std::optional<std::string> title;
  std::optional<std::string> body;
  std::optional<std::vector<std::string>> tags;
  std::optional<metadata_map> metadata;
  std::optional<bool> is_public;

  /// Overwrites the fields of `doc` that this input sets.
  void apply_to(document& doc) const;
};

/// Writes `doc` as the contract's Document object.
void write_document(json::writer& w, const document& doc);

/// A client-supplied id is 1–128 characters of [A-Za-z0-9._-]. Pure.
bool is_valid_document_id(std::string_view id) noexcept;

/// Checks the contract's limits on an input: 422 "invalid_field" naming the field.
std::optional<api_error> validate(const document_input& input, const field_limits& limits);

}  // namespace codex::emulator
