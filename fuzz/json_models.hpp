#pragma once
// Writing the decoded models back as the service would send them, for the round trips
// of the JSON targets: documents through codex's own encoder, the envelopes around them
// through codex::json::writer.

#include <codex/api/account.hpp>
#include <codex/api/batch.hpp>
#include <codex/api/document.hpp>
#include <codex/api/page.hpp>
#include <codex/json/encode.hpp>
#include <codex/json/writer.hpp>

#include "support.hpp"

#include <span>
#include <string>

namespace codex::fuzz {

inline void write_document(const document& doc, json::writer& w) {
  std::string text;
  FUZZ_CHECK(!json::encode(doc, text));
  w.raw(text);
}

inline void write_documents(std::span<const document> docs, json::writer& w) {
  w.begin_array();
  for (const auto& doc : docs) write_document(doc, w);
  w.end_array();
}

inline void write_strings(std::span<const std::string> items, json::writer& w) {
  w.begin_array();
  for (const auto& item : items) w.string(item);
  w.end_array();
}

}  // namespace codex::fuzz
