#pragma once
// Random identifiers and secrets (OpenSSL's CSPRNG), secret hashing and comparison.
// Thread-safe: RAND_bytes and EVP digests are.

#include <string>
#include <string_view>

namespace codex::emulator {

/// `bytes` random bytes as lowercase hex (2 × bytes characters). Throws
/// std::runtime_error if the CSPRNG fails (it does not in practice).
std::string random_hex(std::size_t bytes);

/// A ULID-like identifier: 48-bit milliseconds + 80 random bits, 26 Crockford base32
/// characters, so ids sort roughly by creation time.
std::string random_ulid(std::int64_t unix_ms);

/// SHA-256 of `data`, lowercase hex: how secrets are stored.
std::string sha256_hex(std::string_view data);

/// Compares in time independent of where the strings differ (sizes may leak).
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace codex::emulator
