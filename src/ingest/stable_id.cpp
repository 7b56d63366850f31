#include <codex/ingest/stable_id.hpp>

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace codex::ingest {

std::string derive_document_id(std::string_view job_id, std::uint64_t position) {
  std::string input(job_id);
  for (int shift = 56; shift >= 0; shift -= 8) input += static_cast<char>((position >> shift) & 0xff);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length < 12) {
    // SHA-256 is built into every OpenSSL 3; failing here means a broken library.
    throw std::runtime_error("codex: SHA-256 is unavailable");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "doc_";
  for (std::size_t i = 0; i < 12; ++i) {
    id += hex[digest[i] >> 4];
    id += hex[digest[i] & 0xf];
  }
  return id;
}

}  // namespace codex::ingest
