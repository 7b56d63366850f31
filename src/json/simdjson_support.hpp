#pragma once
// What every decoder needs from simdjson: the padding contract and a parser per thread.

#include <codex/net/http_message.hpp>

#include <simdjson.h>

#include <string>

namespace codex::json::detail {

static_assert(net::body_padding >= simdjson::SIMDJSON_PADDING,
              "response bodies must carry simdjson's padding so they parse in place");

/// One On-Demand parser per thread (a parser is not thread-safe, and reusing it keeps
/// its buffers warm). A document parsed with it must be finished before the next
/// parse on the same thread — so never across a co_await.
inline simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

/// A view of `text` that promises simdjson the padding it needs: in place when the
/// string's capacity already has it, otherwise via `scratch`.
inline simdjson::padded_string_view padded_view(const std::string& text, simdjson::padded_string& scratch) {
  if (text.capacity() >= text.size() + simdjson::SIMDJSON_PADDING)
    return simdjson::padded_string_view(text.data(), text.size(), text.capacity());
  scratch = simdjson::padded_string(text);
  return scratch;
}

}  // namespace codex::json::detail
