#pragma once
// Idempotency keys, and which requests may be sent again after an attempt that may
// have reached the server.

#include <codex/net/http_message.hpp>
#include <codex/result.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace codex::retry {

/// The request header that makes a POST safe to resend (the contract: the same key
/// within 24 h returns the first response again).
inline constexpr std::string_view idempotency_key_header = "Idempotency-Key";

/// "idk_" + 32 lower-case hex digits of these 128 bits. Pure.
std::string format_idempotency_key(const std::array<std::uint8_t, 16>& bits);

/// A new key: 128 random bits from OpenSSL's RAND_bytes, formatted as above. The SDK
/// creates one per logical call and keeps it across that call's attempts.
/// Thread-safe. Errors: errc::io_error if OpenSSL's generator fails (not seeded).
result<std::string> make_idempotency_key();

/// True if a request may be resent after an attempt that may have been executed:
/// an idempotent method (GET, HEAD, PUT, DELETE), or any method with an
/// Idempotency-Key. Pure.
bool is_replay_safe(net::http_method method, bool has_idempotency_key) noexcept;

}  // namespace codex::retry
