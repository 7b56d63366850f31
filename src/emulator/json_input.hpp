#pragma once
// Reading request bodies with simdjson On-Demand: one parser per thread, bodies
// parsed in place when they carry simdjson's padding, and the decoders of the
// emulator's inputs (documents, id lists). Only emulator sources include this.

#include "emulator/api_error.hpp"
#include "emulator/document.hpp"

#include <simdjson.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace codex::emulator {

/// A parsed body whose root must be an object. Holds the thread's parser: use it on
/// one thread and destroy it before parsing another body on that thread.
class json_body {
 public:
  /// Starts parsing `body` (in place when body.capacity() >= size + SIMDJSON_PADDING,
  /// else from a padded copy). `body` must outlive this object.
  explicit json_body(const std::string& body);
  json_body(const json_body&) = delete;
  json_body& operator=(const json_body&) = delete;

  /// The root object, or a 400 "invalid_json" error.
  std::variant<simdjson::ondemand::object, api_error> root();
  /// After the root was consumed: a 400 when bytes other than whitespace follow it.
  std::optional<api_error> finish();

 private:
  std::string_view text_;
  std::unique_ptr<simdjson::padded_string> copy_;
  simdjson::ondemand::document doc_;
  simdjson::error_code error_ = simdjson::SUCCESS;
};

/// False when something other than whitespace follows the root object or array of
/// `text` (simdjson On-Demand 3.0 does not look past the root's end). Pure.
bool ends_after_root_container(std::string_view text) noexcept;

/// The 400 for malformed JSON.
api_error invalid_json(std::string_view detail = {});

/// Decodes a document input object. Field type errors and limit violations are 422;
/// errors of the JSON text itself are 400. Unknown members and the server-set ones
/// (project_id, version, created_at, updated_at) are ignored.
std::variant<document_input, api_error> parse_document_input(simdjson::ondemand::value value,
                                                             const field_limits& limits);

/// The same, for an object already opened (a request body's root).
std::variant<document_input, api_error> parse_document_fields(simdjson::ondemand::object& obj,
                                                              const field_limits& limits);

/// Decodes a request body that is one document input object (POST, PATCH): 400 when it
/// is not a JSON object or is malformed, even after a field error; else as
/// parse_document_fields.
std::variant<document_input, api_error> read_document_body(const std::string& body, const field_limits& limits);

/// Decodes an array of strings (batch_get ids), at most `max` of them: 413 beyond,
/// 400 when the JSON or an element's type is wrong.
std::variant<std::vector<std::string>, api_error> parse_string_array(simdjson::ondemand::value value,
                                                                     std::size_t max);

/// The items of a batch, each decoded or refused (a per-item 422).
using batch_items = std::vector<std::variant<document_input, api_error>>;

/// Decodes `{"items": [...]}`: 400 when malformed or "items" is missing, 413 past
/// `limits.batch_items`.
std::variant<batch_items, api_error> parse_batch_items(const std::string& body, const field_limits& limits);

/// Decodes `{"ids": [...]}`: 400 when malformed or "ids" is missing, 413 past `max`.
std::variant<std::vector<std::string>, api_error> parse_batch_ids(const std::string& body, std::size_t max);

}  // namespace codex::emulator
