// The scrubber (src/auth/scrubber.cpp): what stands between a credential and a log line.
// The input is text around which a credential of a fuzzer-chosen kind (first byte) is
// put at a fuzzer-chosen place (second byte); the credential's bytes come from a hash
// of the text, so each input has its own.
// Invariants: the secret part of the credential (what follows its public prefix)
// appears in the output no more often than in the text around it (where it may stand
// legitimately, not as a credential); scrubbing is idempotent, as documented.

#include <codex/auth/scrubber.hpp>

#include "auth/base64.hpp"

#include "support.hpp"

#include <array>

namespace {

using namespace codex;

// Deterministic characters drawn from the text's FNV-1a hash.
class characters {
 public:
  explicit characters(std::string_view seed) {
    for (const char c : seed) state_ = (state_ ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  std::string draw(std::size_t n, std::string_view alphabet) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
      state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
      out += alphabet[(state_ >> 33) % alphabet.size()];
    }
    return out;
  }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ull;
};

constexpr std::string_view hex = "0123456789abcdef";
constexpr std::string_view base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct credential {
  std::string text;    ///< as it is put into the text
  std::string secret;  ///< the part that must not come out
};

credential make(unsigned kind, characters& draw) {
  // A value after a sensitive name: with a digit, so that it is not an everyday word.
  const std::string value = draw.draw(19, hex) + "7";
  switch (kind % 10) {
    case 0: { const auto key = draw.draw(40, hex); return {"cdx_" + key, key.substr(4)}; }
    case 1: { const auto s = draw.draw(40, base64url); return {"cs_" + s, s}; }
    case 2: { const auto s = draw.draw(32, hex); return {"adm_" + s, s}; }
    case 3: {
      const auto jwt = "eyJ" + draw.draw(30, base64url) + "." + draw.draw(30, base64url) + "." + draw.draw(20, base64url);
      return {jwt, jwt.substr(3)};
    }
    case 4: {
      const auto basic = auth::base64_encode("cdx_" + draw.draw(40, hex) + ":");
      return {basic, basic.substr(5)};
    }
    case 5: return {"Authorization: Bearer " + value, value};
    case 6: return {"\"client_secret\": \"" + value + "\"", value};
    case 7: return {"password=" + value, value};
    case 8: return {"X-API-Key: " + value, value};
    default: return {"token: " + value, value};
  }
}

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view text = fuzz::as_text(data + 2, size - 2);
  const std::string scrubbed = auth::scrub(text);
  FUZZ_CHECK(auth::scrub(scrubbed) == scrubbed);

  characters draw(text);
  const credential c = make(data[0], draw);
  const std::size_t at = text.size() * data[1] / 256;
  const std::string with_credential =
      std::string(text.substr(0, at)) + " " + c.text + " " + std::string(text.substr(at));
  const std::string out = auth::scrub(with_credential);
  if (occurrences(out, c.secret) > occurrences(text, c.secret))
    std::fprintf(stderr, "leaked: %s\nfrom: %s\n", fuzz::escaped(out).c_str(), fuzz::escaped(with_credential).c_str());
  FUZZ_CHECK(occurrences(out, c.secret) <= occurrences(text, c.secret));
  FUZZ_CHECK(auth::scrub(out) == out);
  return 0;
}
