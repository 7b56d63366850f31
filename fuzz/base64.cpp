// base64 and base64url (src/auth/base64.cpp): Basic credentials, JWT segments, the
// rejects file's line_base64.
// Invariants: decode(encode(x)) == x for both alphabets; the decoders are strict, so a
// text that decodes is the one encoding of its bytes (base64url: but for '=' padding,
// which it accepts and does not write).

#include "auth/base64.hpp"

#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace codex::auth;
  const std::string_view input = codex::fuzz::as_text(data, size);
  FUZZ_CHECK(base64_decode(base64_encode(input)) == input);
  FUZZ_CHECK(base64url_decode(base64url_encode(input)) == input);
  if (const auto bytes = base64_decode(input)) FUZZ_CHECK(base64_encode(*bytes) == input);
  if (const auto bytes = base64url_decode(input)) {
    std::string_view unpadded = input;
    while (unpadded.ends_with('=')) unpadded.remove_suffix(1);
    FUZZ_CHECK(base64url_encode(*bytes) == unpadded);
  }
  return 0;
}
