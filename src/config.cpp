#include <codex/config.hpp>

#include "json/credentials_file.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace codex {
namespace {

error_info config_error(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
}

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace

std::string config::default_credentials_file() {
  if (auto state = env("XDG_STATE_HOME")) return *state + "/codex-emulator/credentials.json";
  if (auto home = env("HOME")) return *home + "/.local/state/codex-emulator/credentials.json";
  return ".local/state/codex-emulator/credentials.json";
}

result<config> config::from_credentials_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error("cannot read credentials file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  auto file = json::decode_credentials_file(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!file) {
    error_info failure = std::move(file).error();
    failure.message = path + ": " + failure.message;
    return failure;
  }
  config cfg;
  cfg.base_url = std::move(file->base_url);
  cfg.transport.tls.ca_file = std::move(file->ca_file);
  if (!file->api_key.empty()) {
    cfg.credentials = api_key_credentials{.key = std::move(file->api_key)};
  } else if (!file->client_id.empty()) {
    cfg.credentials = client_credentials{.client_id = std::move(file->client_id),
                                         .client_secret = std::move(file->client_secret)};
  }
  return cfg;
}

result<config> config::from_env() {
  const auto api_key = env("CODEX_API_KEY");
  const auto client_id = env("CODEX_CLIENT_ID");
  const auto client_secret = env("CODEX_CLIENT_SECRET");
  const auto access_token = env("CODEX_ACCESS_TOKEN");

  config cfg;
  if (api_key) {
    cfg.credentials = api_key_credentials{.key = secret(*api_key)};
  } else if (client_id || client_secret) {
    if (!client_id || !client_secret)
      return config_error("CODEX_CLIENT_ID and CODEX_CLIENT_SECRET must be set together");
    cfg.credentials = client_credentials{.client_id = *client_id, .client_secret = secret(*client_secret)};
  } else if (access_token) {
    cfg.credentials = access_token_credentials{.token = secret(*access_token)};
  } else {
    // No credential variables: the emulator's file, named or at its default place.
    const auto file = env("CODEX_CREDENTIALS_FILE");
    const std::string path = file.value_or(default_credentials_file());
    auto from_file = from_credentials_file(path);
    if (from_file) {
      cfg = std::move(*from_file);
    } else if (file) {
      return from_file;  // a file that was asked for must be readable
    }
  }
  if (auto base = env("CODEX_BASE_URL")) cfg.base_url = *base;
  if (auto ca = env("CODEX_CA_FILE")) cfg.transport.tls.ca_file = *ca;
  if (auto cert = env("CODEX_CLIENT_CERT")) cfg.transport.tls.client_certificate_file = *cert;
  if (auto key = env("CODEX_CLIENT_KEY")) cfg.transport.tls.client_key_file = *key;
  if (auto passphrase = env("CODEX_CLIENT_KEY_PASSPHRASE")) cfg.transport.tls.client_key_passphrase = secret(*passphrase);
  if (auto rate = env("CODEX_RATE_LIMIT")) {
    auto parsed = limit::parse_rate_limit(*rate);
    if (!parsed) return config_error("CODEX_RATE_LIMIT: " + parsed.error().message);
    cfg.rate_limit = *parsed;
  }
  // curl's proxy variables, as users already set them for every other tool.
  auto proxy = net::proxy_options::from_env();
  if (!proxy) return std::move(proxy).error();
  cfg.transport.proxy = std::move(*proxy);
  if (auto url = env("CODEX_LIMITER_URL")) {
    auto parsed = limit::parse_limiter_url(*url);
    if (!parsed) return config_error("CODEX_LIMITER_URL: " + parsed.error().message);
    cfg.limiter = std::move(*parsed);
  }
  return cfg;
}

}  // namespace codex
