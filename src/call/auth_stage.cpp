#include "call/auth_stage.hpp"

#include "call/token_stage.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace codex::call {
namespace {

/// Sets one credential header per attempt and wipes its value once the attempt ends,
/// so that no copy of the credential outlives the exchange in the request.
class header_stage final : public stage {
 public:
  header_stage(std::string name, secret value, stage& next)
      : name_(std::move(name)), value_(std::move(value)), next_(next) {}

  asio::awaitable<attempt_result> send(call_context& context) override {
    context.request.headers.set(name_, std::string(value_.reveal()));
    attempt_result outcome = co_await next_.send(context);
    wipe_header(context.request.headers, name_);
    co_return outcome;
  }

 private:
  std::string name_;
  secret value_;
  stage& next_;
};

class anonymous_stage final : public stage {
 public:
  explicit anonymous_stage(stage& next) : next_(next) {}
  asio::awaitable<attempt_result> send(call_context& context) override { co_return co_await next_.send(context); }

 private:
  stage& next_;
};

secret basic_authorization(const secret& key) {
  // RFC 7617: base64("user:password") with the key as user and an empty password.
  std::string plain(key.reveal());
  plain.push_back(':');
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  secret header(std::string("Basic ") + encoded);
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return header;
}

}  // namespace

void wipe_header(net::header_list& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (net::iequals(field, name)) OPENSSL_cleanse(const_cast<char*>(value.data()), value.size());
  }
  headers.erase(name);
}

std::unique_ptr<stage> make_auth_stage(const config& cfg, const net::url& base, stage& next,
                                       std::shared_ptr<net::transport> transport,
                                       std::shared_ptr<limit::limiter_backend> limiter) {
  return std::visit(
      [&](const auto& creds) -> std::unique_ptr<stage> {
        using T = std::decay_t<decltype(creds)>;
        if constexpr (std::is_same_v<T, api_key_credentials>) {
          if (creds.scheme == api_key_scheme::header)
            return std::make_unique<header_stage>("X-API-Key", creds.key, next);
          return std::make_unique<header_stage>("Authorization", basic_authorization(creds.key), next);
        } else if constexpr (std::is_same_v<T, access_token_credentials>) {
          return std::make_unique<header_stage>("Authorization", secret(std::string("Bearer ") + std::string(creds.token.reveal())),
                                                next);
        } else if constexpr (std::is_same_v<T, client_credentials>) {
          return make_token_stage(creds, cfg, base, next, std::move(transport), std::move(limiter));
        } else {
          return std::make_unique<anonymous_stage>(next);
        }
      },
      cfg.credentials);
}

}  // namespace codex::call
