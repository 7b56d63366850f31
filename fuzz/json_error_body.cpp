// decode_error_body (src/json/error_body.cpp): the body of any non-2xx response, which
// may be anything (an HTML page from a proxy, a truncated body). It never fails.
// Invariants: padded and unpadded bodies agree; the fields it found, written back as
// the contract's error body, are found again unchanged.

#include "json/error_body.hpp"

#include <codex/json/writer.hpp>

#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace codex;
  const std::string_view input = fuzz::as_text(data, size);
  const json::error_body in_place = json::decode_error_body(fuzz::padded(input));
  const json::error_body copied = json::decode_error_body(fuzz::unpadded(input));
  FUZZ_CHECK(in_place.error == copied.error && in_place.message == copied.message);

  std::string text;
  json::writer w(text);
  w.begin_object().key("status").int64(400).key("error").string(in_place.error).key("message")
      .string(in_place.message).end_object();
  FUZZ_CHECK(w.complete());
  const json::error_body again = json::decode_error_body(fuzz::padded(text));
  FUZZ_CHECK(again.error == in_place.error && again.message == in_place.message);
  return 0;
}
