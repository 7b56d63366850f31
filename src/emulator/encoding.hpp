#pragma once
// Base64 (RFC 4648 §4, for HTTP Basic) and base64url (§5, unpadded, for JWTs and
// cursors). Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace codex::emulator {

/// base64url without padding.
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded (or padded) base64url; nullopt on any character outside the
/// alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

/// Decodes standard base64 with padding; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

}  // namespace codex::emulator
