#include <codex/ingest/stable_id.hpp>

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace codex::ingest {
namespace {

/// `prefix` + the first `bytes` bytes of SHA-256(input), as lower-case hex.
std::string sha256_hex(std::string_view input, std::size_t bytes, std::string prefix) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length < bytes) {
    // SHA-256 is built into every OpenSSL 3; failing here means a broken library.
    throw std::runtime_error("codex: SHA-256 is unavailable");
  }
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes; ++i) {
    prefix += hex[digest[i] >> 4];
    prefix += hex[digest[i] & 0xf];
  }
  return prefix;
}

}  // namespace

std::string derive_document_id(std::string_view job_id, std::uint64_t position) {
  std::string input(job_id);
  for (int shift = 56; shift >= 0; shift -= 8) input += static_cast<char>((position >> shift) & 0xff);
  return sha256_hex(input, 12, "doc_");
}

std::string derive_job_id(std::string_view identity) {
  std::string input = "codex-job:";
  input += identity;
  return sha256_hex(input, 16, "");
}

}  // namespace codex::ingest
