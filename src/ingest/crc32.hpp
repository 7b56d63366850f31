#pragma once
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the journal's record checksum.

#include <cstdint>
#include <string_view>

namespace codex::ingest::detail {

/// Continues a CRC-32 over `bytes` (start with crc = 0). crc32("123456789") == 0xCBF43926.
/// Pure; thread-safe.
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept;

}  // namespace codex::ingest::detail
