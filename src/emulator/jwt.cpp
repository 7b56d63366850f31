#include "emulator/jwt.hpp"

#include "auth/base64.hpp"

#include <codex/json/writer.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <stdexcept>
#include <vector>

namespace codex::emulator {

struct jwt_signer::key {
  EVP_PKEY* pkey = nullptr;
  ~key() { EVP_PKEY_free(pkey); }
};

namespace {

struct md_ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~md_ctx() { EVP_MD_CTX_free(ctx); }
};

std::string bn_param_bytes(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) throw std::runtime_error("EVP_PKEY_get_bn_param failed");
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::string sha256_raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string claims_json(const jwt_claims& c) {
  std::string out;
  json::writer w{out};
  w.begin_object()
      .key("iss").string(c.iss)
      .key("sub").string(c.sub)
      .key("aud").string(c.aud)
      .key("iat").int64(c.iat)
      .key("exp").int64(c.exp)
      .key("scope").string(c.scope)
      .key("project").string(c.project)
      .key("jti").string(c.jti)
      .key("gen").uint64(c.gen)
      .end_object();
  if (w.error()) throw std::runtime_error("JWT claims are not valid UTF-8");
  return out;
}

simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

bool header_is_ours(std::string_view json, std::string_view kid) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (thread_parser().iterate(padded).get(doc) || doc.get_object().get(obj)) return false;
  bool alg_ok = false, kid_ok = true;
  for (auto field : obj) {
    std::string_view name, value;
    if (field.unescaped_key().get(name)) return false;
    if (name == "alg") {
      if (field.value().get_string().get(value)) return false;
      alg_ok = value == "RS256";
    } else if (name == "kid") {
      if (field.value().get_string().get(value)) return false;
      kid_ok = value == kid;
    }
  }
  return alg_ok && kid_ok;
}

std::optional<jwt_claims> parse_claims(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (thread_parser().iterate(padded).get(doc) || doc.get_object().get(obj)) return std::nullopt;
  jwt_claims c;
  for (auto field : obj) {
    std::string_view name, text;
    if (field.unescaped_key().get(name)) return std::nullopt;
    auto value = field.value();
    simdjson::error_code err = simdjson::SUCCESS;
    auto string_into = [&](std::string& dst) {
      err = value.get_string().get(text);
      dst.assign(text);
    };
    if (name == "iss") string_into(c.iss);
    else if (name == "sub") string_into(c.sub);
    else if (name == "aud") string_into(c.aud);
    else if (name == "scope") string_into(c.scope);
    else if (name == "project") string_into(c.project);
    else if (name == "jti") string_into(c.jti);
    else if (name == "iat") err = value.get_int64().get(c.iat);
    else if (name == "exp") err = value.get_int64().get(c.exp);
    else if (name == "gen") err = value.get_uint64().get(c.gen);
    if (err) return std::nullopt;
  }
  if (c.sub.empty() || c.exp == 0) return std::nullopt;
  return c;
}

}  // namespace

jwt_signer::jwt_signer() : key_(std::make_unique<key>()) {
  key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
  if (key_->pkey == nullptr) throw std::runtime_error("RSA-2048 key generation failed");
  const std::string n = auth::base64url_encode(bn_param_bytes(key_->pkey, OSSL_PKEY_PARAM_RSA_N));
  const std::string e = auth::base64url_encode(bn_param_bytes(key_->pkey, OSSL_PKEY_PARAM_RSA_E));
  // RFC 7638: the thumbprint hashes the required members in lexicographic order.
  kid_ = auth::base64url_encode(sha256_raw(R"({"e":")" + e + R"(","kty":"RSA","n":")" + n + R"("})"));

  json::writer w{jwks_};
  w.begin_object().key("keys").begin_array().begin_object()
      .key("kty").string("RSA")
      .key("use").string("sig")
      .key("alg").string("RS256")
      .key("kid").string(kid_)
      .key("n").string(n)
      .key("e").string(e)
      .end_object().end_array().end_object();

  std::string header;
  json::writer h{header};
  h.begin_object().key("alg").string("RS256").key("typ").string("JWT").key("kid").string(kid_).end_object();
  header_b64_ = auth::base64url_encode(header);
}

jwt_signer::~jwt_signer() = default;

std::string jwt_signer::sign(const jwt_claims& claims) const {
  std::string token = header_b64_ + '.' + auth::base64url_encode(claims_json(claims));
  md_ctx md;
  std::size_t len = 0;
  if (md.ctx == nullptr || EVP_DigestSignInit(md.ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) != 1 ||
      EVP_DigestSign(md.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(token.data()), token.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign setup failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(token.data()), token.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed");
  }
  sig.resize(len);
  token += '.';
  token += auth::base64url_encode(sig);
  return token;
}

std::optional<jwt_claims> jwt_signer::verify(std::string_view token) const {
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) return std::nullopt;
  const auto header = auth::base64url_decode(token.substr(0, dot1));
  const auto payload = auth::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto sig = auth::base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !sig || !header_is_ours(*header, kid_)) return std::nullopt;

  const std::string_view signed_part = token.substr(0, dot2);
  md_ctx md;
  if (md.ctx == nullptr || EVP_DigestVerifyInit(md.ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) != 1 ||
      EVP_DigestVerify(md.ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) != 1) {
    return std::nullopt;
  }
  return parse_claims(*payload);
}

token_time_check check_token_times(const jwt_claims& claims, std::int64_t now_seconds, std::int64_t leeway) noexcept {
  if (now_seconds >= claims.exp) return token_time_check::expired;
  if (claims.iat > now_seconds + leeway) return token_time_check::not_yet_valid;
  return token_time_check::valid;
}

}  // namespace codex::emulator
