#include <codex/auth/secret.hpp>

#include <openssl/crypto.h>

#include <cstring>
#include <ostream>
#include <utility>

namespace codex::auth {

secret::secret(std::string_view value) { assign(value.data(), value.size()); }

secret::secret(std::string&& value) {
  assign(value.data(), value.size());
  OPENSSL_cleanse(value.data(), value.size());
  value.clear();
}

secret::secret(const secret& other) { assign(other.data_.get(), other.size_); }

secret& secret::operator=(const secret& other) {
  if (this != &other) {
    // Build the copy first: if allocation throws, *this is unchanged.
    secret copy(other);
    *this = std::move(copy);
  }
  return *this;
}

secret::secret(secret&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

secret::~secret() { wipe(); }

void secret::assign(const char* data, std::size_t size) {
  if (size == 0) return;
  data_ = std::make_unique<char[]>(size);
  std::memcpy(data_.get(), data, size);
  size_ = size;
}

void secret::wipe() noexcept {
  if (data_) OPENSSL_cleanse(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

std::string secret::redacted() const {
  const std::string_view value = reveal();
  // The contract's key format is "cdx_" + 40 hex digits; its first characters are the
  // public prefix the service itself shows. Short values show nothing.
  if (value.size() >= 12 && value.substr(0, 4) == "cdx_") return std::string(value.substr(0, 8)) + "***";
  if (value.substr(0, 3) == "cs_") return "cs_***";
  return "***";
}

bool operator==(const secret& a, const secret& b) noexcept {
  if (a.size_ != b.size_) return false;
  return a.size_ == 0 || CRYPTO_memcmp(a.data_.get(), b.data_.get(), a.size_) == 0;
}

std::string to_string(const secret& s) { return s.redacted(); }

std::ostream& operator<<(std::ostream& out, const secret& s) { return out << s.redacted(); }

}  // namespace codex::auth
