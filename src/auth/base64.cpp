#include "auth/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace codex::auth {
namespace {

bool is_alnum(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::size_t trailing_padding(std::string_view text) noexcept {
  std::size_t n = 0;
  while (n < text.size() && text[text.size() - 1 - n] == '=') ++n;
  return n;
}

/// `text`: standard alphabet, padded to a multiple of 4, only checked characters.
/// EVP_DecodeBlock counts the padding as zero bytes, and does not check that the
/// unused bits are zero: re-encoding must give `text` back.
std::optional<std::string> decode_padded(std::string_view text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - trailing_padding(text));
  if (base64_encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP writes a final NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  const std::size_t padding = trailing_padding(text);
  if (text.size() % 4 != 0 || padding > 2) return std::nullopt;
  const auto body = text.substr(0, text.size() - padding);
  if (!std::all_of(body.begin(), body.end(), [](char c) { return is_alnum(c) || c == '+' || c == '/'; }))
    return std::nullopt;
  return decode_padded(text);
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  out.resize(out.size() - trailing_padding(out));
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // Padding, if present, must make the length a multiple of 4 and be at most "==".
  const std::size_t padding = trailing_padding(text);
  if (padding > 0 && (padding > 2 || text.size() % 4 != 0)) return std::nullopt;
  text.remove_suffix(padding);
  if (text.size() % 4 == 1) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_'; }))
    return std::nullopt;
  std::string standard(text);
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  standard.append((4 - standard.size() % 4) % 4, '=');
  return decode_padded(standard);
}

}  // namespace codex::auth
