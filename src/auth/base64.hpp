#pragma once
// Base64 (RFC 4648 §4: HTTP Basic) and base64url (§5, unpadded: JWTs, cursors), on
// OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock — the one implementation the SDK and the
// emulator use.

#include <optional>
#include <string>
#include <string_view>

namespace codex::auth {

/// Standard base64 with '=' padding. Thread-safe (pure).
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 with its padding. nullopt for a character outside the
/// alphabet (whitespace included), a length that is not a multiple of 4, misplaced
/// padding, or non-zero unused bits (so each byte string has one encoding).
std::optional<std::string> base64_decode(std::string_view text);

/// base64url without padding. Thread-safe (pure).
std::string base64url_encode(std::string_view bytes);

/// Decodes base64url, with or without '=' padding; nullopt for a character outside its
/// alphabet (including '+' and '/'), misplaced padding, an impossible length, or
/// non-zero unused bits. Thread-safe (pure).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace codex::auth
