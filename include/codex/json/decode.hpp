#pragma once
// Decoders: response bodies → models, with simdjson On-Demand (kept out of this header).
//
// Every decoder reads each object's fields once, ignores fields it does not know
// (forward compatibility), and fails with errc::decode_error — with a message that
// names the field — for a missing required field, a wrong type, a truncated or
// malformed body. It never crashes on any input. Bodies should carry
// net::body_padding bytes of spare capacity (responses from the transport do); others
// are copied once. Thread-safety: each thread uses its own parser; callable from any thread.

#include <codex/api/account.hpp>
#include <codex/api/batch.hpp>
#include <codex/api/document.hpp>
#include <codex/api/page.hpp>
#include <codex/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace codex::json {

/// The answer of POST /auth/token. `access_token` is a secret: callers move it into a
/// codex::secret at once and cleanse the body it came from.
struct token_response {
  std::string access_token;     ///< required; never holds a control character (see decode_token_response)
  std::string token_type;       ///< e.g. "Bearer"; empty when absent
  std::int64_t expires_in = 0;  ///< required: the token's lifetime in seconds, as the server states it
  std::string scope;            ///< the granted scope, e.g. "read write"; empty when absent
};

/// A document object (GET, POST or PATCH /documents…).
result<document> decode_document(const std::string& body);
/// A page of GET /documents: `data` and `next_cursor`.
result<page<document>> decode_document_page(const std::string& body);

/// Decodes into a model that may hold an earlier decode, reusing what it holds: the
/// page's vector of documents, and each document's strings, tags and metadata, keep
/// their capacity; fields the body does not name are reset. A body of the same shape
/// as the last one then decodes with no heap allocation at all (the string and vector
/// capacities, and this thread's parser, are already there). On failure `out` is
/// valid but its content unspecified (partly the new body's).
result<void> decode_into(const std::string& body, document& out);
/// As decode_into(const std::string&, document&), for a page of GET /documents.
result<void> decode_into(const std::string& body, page<document>& out);
/// The answer of GET /account.
result<account> decode_account(const std::string& body);
/// The answer of POST /documents/batch; `results` is required.
result<batch_result> decode_batch_result(const std::string& body);
/// The answer of POST /documents/batch_get.
result<batch_get_result> decode_batch_get_result(const std::string& body);
/// Also errc::decode_error when the access_token holds a character that no header value
/// may carry (net::is_valid_field_value): such a token is never sent, nor cached.
result<token_response> decode_token_response(const std::string& body);

/// A document to write, as users give it (a JSONL line, a file for `codex put`): the
/// fields of document_input ("id", "title", "body", "tags", "metadata", "public");
/// server-set fields ("version", "created_at", ...) are ignored, so a document read
/// back from the service can be written again.
result<document_input> decode_document_input(const std::string& text);

/// The simdjson implementation the decoders run on in this process, chosen at run time
/// for this CPU: "icelake" (AVX-512), "haswell" (AVX2), "westmere" (SSE4.2), "arm64",
/// "ppc64" or "fallback". No build flag is needed for it; the environment variable
/// SIMDJSON_FORCE_IMPLEMENTATION overrides the choice (e.g. to compare). Thread-safe.
std::string_view decoder_implementation() noexcept;

}  // namespace codex::json
