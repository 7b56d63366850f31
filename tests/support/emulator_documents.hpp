#pragma once
// What a service holds, read back for tests that check its contents rather than a
// tool's own report.

#include "emulator/emulator.hpp"

#include <codex/api/document.hpp>
#include <codex/config.hpp>

#include <chrono>
#include <vector>

namespace codex::test {

/// Every document `cfg`'s credential can list: GET /documents?limit=1000 page by page,
/// following next_cursor, over the raw call path. Throws on any failure.
std::vector<document> list_every_document(const config& cfg, std::chrono::milliseconds deadline);

/// The same with the emulator's seeded API key, over its TLS (CA file).
std::vector<document> list_every_document(const emulator::emulator& server, std::chrono::milliseconds deadline);

}  // namespace codex::test
