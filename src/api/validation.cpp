#include <codex/api/validation.hpp>

#include "api/validation_limits.hpp"

#include <codex/json/writer.hpp>

#include <algorithm>
#include <string>
#include <variant>

namespace codex {
namespace {

result<void> fail(errc code, std::string message) {
  return error_info{.code = make_error_code(code), .message = std::move(message)};
}

result<void> over_limit(std::string_view what, std::size_t size, std::string_view unit, std::size_t limit,
                        std::string_view limit_name) {
  return fail(errc::limit_exceeded, std::string(what) + " is " + std::to_string(size) + " " + std::string(unit) +
                                        ", over the limit of " + std::to_string(limit) + " (document_limits::" +
                                        std::string(limit_name) + ")");
}

result<void> not_utf8(std::string_view field) {
  return fail(errc::invalid_utf8, std::string(field) + " is not valid UTF-8");
}

// Whether the strings' UTF-8 is checked here, or left to the encoder (see
// api/validation_limits.hpp).
enum class utf8 { check, leave };

result<void> check_utf8(std::string_view field, std::string_view text) {
  if (json::is_valid_utf8(text)) return {};
  return not_utf8(field);
}

result<void> check_id(std::string_view id, utf8 mode) {
  if (id.empty()) return fail(errc::invalid_argument, "a document id must not be empty");
  return mode == utf8::check ? check_utf8("id", id) : result<void>{};
}

result<void> check_title(std::string_view title, utf8 mode) {
  if (title.size() > document_limits::max_title_bytes) {
    return over_limit("title", title.size(), "bytes", document_limits::max_title_bytes, "max_title_bytes");
  }
  return mode == utf8::check ? check_utf8("title", title) : result<void>{};
}

result<void> check_body(std::string_view body, utf8 mode) {
  if (body.size() > document_limits::max_body_bytes) {
    return over_limit("body", body.size(), "bytes", document_limits::max_body_bytes, "max_body_bytes");
  }
  return mode == utf8::check ? check_utf8("body", body) : result<void>{};
}

result<void> check_tags(const std::vector<std::string>& tags, utf8 mode) {
  if (tags.size() > document_limits::max_tags) {
    return over_limit("tags", tags.size(), "tags", document_limits::max_tags, "max_tags");
  }
  if (mode == utf8::leave) return {};
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (!json::is_valid_utf8(tags[i])) return not_utf8("tags[" + std::to_string(i) + "]");
  }
  return {};
}

result<void> check_metadata(const metadata& fields, utf8 mode) {
  if (fields.size() > document_limits::max_metadata_keys) {
    return over_limit("metadata", fields.size(), "keys", document_limits::max_metadata_keys, "max_metadata_keys");
  }
  if (mode == utf8::leave) return {};
  for (const auto& [key, value] : fields) {
    if (!json::is_valid_utf8(key)) return fail(errc::invalid_utf8, "a metadata key is not valid UTF-8");
    if (const auto* text = std::get_if<std::string>(&value); text && !json::is_valid_utf8(*text)) {
      return not_utf8("metadata[\"" + key + "\"]");
    }
  }
  return {};
}

/// Prefixes a failure's message with "item N: ".
error_info for_item(std::size_t index, error_info info) {
  info.message = "item " + std::to_string(index) + ": " + info.message;
  return info;
}

result<void> check_input(const document_input& input, utf8 mode) {
  if (input.id) {
    if (auto r = check_id(*input.id, mode); !r) return r;
  }
  if (auto r = check_title(input.title, mode); !r) return r;
  if (auto r = check_body(input.body, mode); !r) return r;
  if (auto r = check_tags(input.tags, mode); !r) return r;
  return check_metadata(input.metadata, mode);
}

/// Whether check_input(input, utf8::leave) would pass: the sizes alone, so that a batch
/// within its limits (nearly every one) is checked without a result per field.
bool within_limits(const document_input& input) noexcept {
  return (!input.id || !input.id->empty()) && input.title.size() <= document_limits::max_title_bytes &&
         input.body.size() <= document_limits::max_body_bytes && input.tags.size() <= document_limits::max_tags &&
         input.metadata.size() <= document_limits::max_metadata_keys;
}

result<void> check_batch(std::span<const document_input> items, utf8 mode) {
  if (items.size() > document_limits::max_batch_items) {
    return over_limit("the batch", items.size(), "items", document_limits::max_batch_items, "max_batch_items");
  }
  if (mode == utf8::leave && std::all_of(items.begin(), items.end(), within_limits)) return {};
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto r = check_input(items[i], mode); !r) return for_item(i, std::move(r).error());
  }
  return {};
}

}  // namespace

namespace api::detail {

result<void> validate_limits(const document_input& input) { return check_input(input, utf8::leave); }

result<void> validate_batch_limits(std::span<const document_input> items) { return check_batch(items, utf8::leave); }

}  // namespace api::detail

result<void> validate(const document_input& input) { return check_input(input, utf8::check); }

result<void> validate(const document_patch& patch) {
  if (patch.title) {
    if (auto r = check_title(*patch.title, utf8::check); !r) return r;
  }
  if (patch.body) {
    if (auto r = check_body(*patch.body, utf8::check); !r) return r;
  }
  if (patch.tags) {
    if (auto r = check_tags(*patch.tags, utf8::check); !r) return r;
  }
  if (patch.metadata) return check_metadata(*patch.metadata, utf8::check);
  return {};
}

result<void> validate(const list_options& options) {
  if (options.limit && (*options.limit == 0 || *options.limit > list_limits::max_page_size)) {
    return fail(errc::invalid_argument, "limit is " + std::to_string(*options.limit) + "; it must be 1 to " +
                                            std::to_string(list_limits::max_page_size) +
                                            " (list_limits::max_page_size)");
  }
  if (options.cursor) {
    if (auto r = check_utf8("cursor", *options.cursor); !r) return r;
  }
  if (options.tag) return check_utf8("tag", *options.tag);
  return {};
}

result<void> validate_id(std::string_view id) { return check_id(id, utf8::check); }

result<void> validate_batch(std::span<const document_input> items) { return check_batch(items, utf8::check); }

result<void> validate_batch_bytes(std::size_t encoded_bytes) {
  if (encoded_bytes > document_limits::max_batch_bytes) {
    return over_limit("the encoded batch", encoded_bytes, "bytes", document_limits::max_batch_bytes,
                      "max_batch_bytes");
  }
  return {};
}

result<void> validate_batch_ids(std::span<const std::string> ids) {
  if (ids.size() > document_limits::max_batch_items) {
    return over_limit("the batch_get", ids.size(), "ids", document_limits::max_batch_items, "max_batch_items");
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto r = validate_id(ids[i]); !r) return for_item(i, std::move(r).error());
  }
  return {};
}

}  // namespace codex
