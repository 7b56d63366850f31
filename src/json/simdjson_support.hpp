#pragma once
// What every decoder needs from simdjson: the padding contract and a parser per thread.
//
// Which CPU kernel runs: simdjson 3.0.1's On-Demand parser does its heavy lifting —
// stage 1 (finding every structural character) and string unescaping — through
// simdjson::get_active_implementation(), which simdjson picks at run time for the CPU
// (icelake, haswell, westmere or fallback on x86-64). Only the thin iteration code
// between those calls is the compile-time "builtin" kernel (fallback without -march).
// Measured on a 590 KB page of 1,000 documents decoded into owning models (CPU time,
// median of 5 runs): forcing the fallback implementation gives ~390 MB/s, the run-time
// choice (haswell or icelake) ~590 MB/s; compiling the decoders a second and third
// time with -mavx2 / AVX-512 flags (and symbols isolated from the baseline copies)
// moved none of those figures beyond the noise, so the decoders are compiled once.

#include <codex/net/http_message.hpp>

#include <simdjson.h>

#include <bit>
#include <cstddef>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <string>
#include <string_view>

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

/// How many bytes from `text` to its first '"' or '\\': the length of a string's raw
/// text when it holds no escape. `text` must lie inside a document parsed by simdjson
/// with such a byte ahead (a string's closing quote, which stage 1 found): the scan
/// reads 16 bytes at a time, never further than 15 bytes past that byte, which the
/// document's padding covers.
inline std::size_t plain_length(const char* text) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (std::size_t at = 0;; at += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
    const auto hits = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (hits != 0) return at + static_cast<std::size_t>(std::countr_zero(hits));
  }
#else
  std::size_t n = 0;
  while (text[n] != '"' && text[n] != '\\') ++n;
  return n;
#endif
}

/// The next member of an object and its key, for dispatch on the key. The key is a
/// view of the raw JSON text when it holds no escape, as keys nearly always do: no
/// copy into the parser's string buffer, no unescaping. A key with an escape is
/// unescaped, so that "\u0069d" still means "id".
inline simdjson::error_code next_member(simdjson::simdjson_result<simdjson::ondemand::field> member,
                                        simdjson::ondemand::field& entry, std::string_view& key) {
  if (auto ec = std::move(member).get(entry)) return ec;
  const char* raw = reinterpret_cast<const char*>(entry.key().raw());
  const std::size_t n = plain_length(raw);
  if (raw[n] == '"') {
    key = std::string_view(raw, n);
    return simdjson::SUCCESS;
  }
  return entry.unescaped_key().get(key);
}

}  // namespace codex::json::detail
