#include "emulator/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>

namespace codex::emulator {
namespace {

void fill_random(unsigned char* p, std::size_t n) {
  if (RAND_bytes(p, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  unsigned char buf[64];
  std::string out;
  while (bytes > 0) {
    const std::size_t n = bytes < sizeof buf ? bytes : sizeof buf;
    fill_random(buf, n);
    out += to_hex(buf, n);
    bytes -= n;
  }
  return out;
}

std::string random_ulid(std::int64_t unix_ms) {
  static constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  unsigned char rnd[10];
  fill_random(rnd, sizeof rnd);
  // 128 bits: 48 of time, 80 of randomness; 26 characters of 5 bits (the first has 3).
  unsigned __int128 v = static_cast<unsigned __int128>(static_cast<std::uint64_t>(unix_ms) & 0xFFFFFFFFFFFFull) << 80;
  for (std::size_t i = 0; i < sizeof rnd; ++i) v |= static_cast<unsigned __int128>(rnd[i]) << (8 * (9 - i));
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = crockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  return to_hex(md, len);
}

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace codex::emulator
