#pragma once
// The invariants every JSON decoder target checks, whatever the model:
//  - the body's padding does not matter: decoding a padded copy (parsed in place) and an
//    unpadded one (copied first) agree, on failure as on success;
//  - a body that decodes, written back (codex's own encoder or writer) and decoded
//    again, gives an equal model: nothing read is lost or changed on the way.

#include <codex/json/writer.hpp>

#include "support.hpp"

#include <string>
#include <string_view>

namespace codex::fuzz {

/// `decode(const std::string&)` returns a result<T>; `write(const T&, json::writer&)`
/// writes it back; `equal(a, b)` compares two models.
template <class Decode, class Write, class Equal>
void check_round_trip(std::string_view input, Decode decode, Write write, Equal equal) {
  const auto in_place = decode(padded(input));
  const auto copied = decode(unpadded(input));
  FUZZ_CHECK(in_place.has_value() == copied.has_value());
  if (!in_place) return;
  FUZZ_CHECK(equal(*in_place, *copied));
  std::string text;
  json::writer w(text);
  write(*in_place, w);
  // What decoded is valid UTF-8 (simdjson checks it), so it can always be written.
  FUZZ_CHECK(w.complete());
  const auto again = decode(padded(text));
  if (!again) std::fprintf(stderr, "written back: %s\n", text.c_str());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(equal(*again, *in_place));
}

/// operator== for models that have it.
inline constexpr auto same = [](const auto& a, const auto& b) { return a == b; };

}  // namespace codex::fuzz
