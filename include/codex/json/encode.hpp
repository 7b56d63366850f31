#pragma once
// Encoders: models → request bodies (compact JSON, members in a fixed order).

#include <codex/api/document.hpp>

#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace codex::json {

/// Appends a document_input as a JSON object. Errors: errc::invalid_utf8 when a string
/// is not UTF-8, errc::invalid_argument for a NaN or infinite metadata number; `out`
/// is then left as it was. Thread-safe for distinct outputs.
std::error_code encode(const document_input& input, std::string& out);

/// Appends a whole document as the service represents it (for output, e.g. `codex get --json`).
std::error_code encode(const document& doc, std::string& out);

/// Appends a PATCH body holding only the fields that are set.
std::error_code encode(const document_patch& patch, std::string& out);

/// Appends {"items": [...]} for POST /documents/batch.
std::error_code encode_batch(std::span<const document_input> items, std::string& out);

/// Appends {"ids": [...]} for POST /documents/batch_get.
std::error_code encode_ids(std::span<const std::string> ids, std::string& out);

/// Appends the POST /auth/token body. The output holds the secret: the caller cleanses it.
std::error_code encode_token_request(std::string_view client_id, std::string_view client_secret,
                                     std::string_view scope, std::string& out);

}  // namespace codex::json
