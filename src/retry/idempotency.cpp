#include <codex/retry/idempotency.hpp>

#include <openssl/rand.h>

namespace codex::retry {

std::string format_idempotency_key(const std::array<std::uint8_t, 16>& bits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string key = "idk_";
  key.reserve(4 + 2 * bits.size());
  for (const auto byte : bits) {
    key += hex[byte >> 4];
    key += hex[byte & 0xf];
  }
  return key;
}

result<std::string> make_idempotency_key() {
  std::array<std::uint8_t, 16> bits{};
  if (RAND_bytes(bits.data(), static_cast<int>(bits.size())) != 1) {
    return error_info{.code = make_error_code(errc::io_error),
                      .message = "OpenSSL RAND_bytes failed: no idempotency key"};
  }
  return format_idempotency_key(bits);
}

bool is_replay_safe(net::http_method method, bool has_idempotency_key) noexcept {
  return has_idempotency_key || net::is_idempotent(method);
}

}  // namespace codex::retry
