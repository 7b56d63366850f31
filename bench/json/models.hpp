#pragma once
// The JSON benchmark's shared pieces: the deterministic list page and token response it
// decodes, the checksum that proves every decoder extracted the same values, and the
// peers' decoders (nlohmann/json, Boost.JSON) that fill codex's own models.

#include <codex/api/document.hpp>
#include <codex/api/page.hpp>
#include <codex/json/decode.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench_json {

/// A list page of `count` documents as the service would send it, built with codex's
/// writer; "é" is sent as the escape \u00e9, other non-ASCII as raw UTF-8, and titles
/// and bodies carry \" \\ \n. `expected` receives the models it encodes.
std::string make_page(std::size_t count, codex::page<codex::document>& expected);

/// A POST /auth/token answer with a JWT-sized access token.
std::string make_token_response(codex::json::token_response& expected);

/// FNV-1a over every extracted value (lengths included, metadata by type).
std::uint64_t checksum(const codex::page<codex::document>& page);
std::uint64_t checksum(const codex::json::token_response& token);

/// Peers: parse to their DOM, then fill codex's models. Throw on malformed input.
codex::page<codex::document> nlohmann_decode_page(const std::string& body);
codex::json::token_response nlohmann_decode_token(const std::string& body);
codex::page<codex::document> boost_decode_page(const std::string& body);
codex::json::token_response boost_decode_token(const std::string& body);

/// Peers' encoders: `items` as a batch body {"items":[…]}, from their DOMs.
std::string nlohmann_encode_batch(const std::vector<codex::document_input>& items);
std::string boost_encode_batch(const std::vector<codex::document_input>& items);
/// Whether two JSON texts parse to the same values (Boost.JSON's DOM equality: an
/// integer and a double differ, object members compare by name).
bool same_json(const std::string& a, const std::string& b);

}  // namespace bench_json
