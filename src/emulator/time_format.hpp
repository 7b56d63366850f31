#pragma once
// Timestamps as the API writes them. Pure functions; thread-safe.

#include <chrono>
#include <cstdint>
#include <string>

namespace codex::emulator {

/// RFC 3339 UTC with whole seconds: "2026-11-22T10:00:00Z".
std::string format_rfc3339(std::chrono::system_clock::time_point t);

/// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (whole seconds, truncated).
std::string format_http_date(std::chrono::system_clock::time_point t);

/// Milliseconds since the Unix epoch.
inline std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace codex::emulator
