#include "limit/limiter_registry.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace codex::limit {
namespace {

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string credential_identity(std::string_view kind, std::string_view origin,
                                std::string_view credential) {
  // NUL separators: ("ab", "c") and ("a", "bc") must not collide.
  std::string material;
  material.reserve(kind.size() + origin.size() + credential.size() + 2);
  material.append(kind).append(1, '\0').append(origin).append(1, '\0').append(credential);
  std::string identity = "sha256:" + sha256_hex(material);
  OPENSSL_cleanse(material.data(), material.size());  // it held the credential
  return identity;
}

limiter_registry& limiter_registry::global() {
  static limiter_registry registry;
  return registry;
}

result<std::shared_ptr<gcra>> limiter_registry::get(std::string_view identity, const rate_limit& rate) {
  if (!rate.valid()) return errc::invalid_argument;
  // Hashing outside the lock keeps the critical section to one map lookup.
  std::string key = sha256_hex(identity) + "|" + to_string(rate);
  const std::lock_guard lock(mutex_);
  auto& slot = limiters_[std::move(key)];
  if (!slot) slot = std::make_shared<gcra>(rate);
  return slot;
}

std::size_t limiter_registry::size() const {
  const std::lock_guard lock(mutex_);
  return limiters_.size();
}

void limiter_registry::clear() {
  const std::lock_guard lock(mutex_);
  limiters_.clear();
}

}  // namespace codex::limit
