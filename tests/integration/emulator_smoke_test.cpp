// The emulator over real TLS: started in-process on 127.0.0.1:0 and driven with
// Debian's curl (--cacert), and its tokens checked against its JWKS with OpenSSL
// directly — independently of the emulator's own verification code.

#include "emulator/emulator.hpp"
#include "json_pointer.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace emu = codex::emulator;
using namespace std::chrono_literals;

namespace {

using codex::test::json_text;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct http_result {
  int status = 0;
  std::string headers;  // raw header block, lower-cased names
  std::string body;

  std::string header(std::string name) const {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::istringstream lines(headers);
    for (std::string line; std::getline(lines, line);) {
      std::string lower = line;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.starts_with(name + ":")) {
        std::string v = line.substr(name.size() + 1);
        while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
        return v;
      }
    }
    return {};
  }
};

// Runs curl against the emulator. Header values and bodies go through files, so no
// shell quoting of caller data is needed beyond the simple tokens used here.
class curl_client {
 public:
  curl_client(std::filesystem::path dir, std::string base, std::filesystem::path ca)
      : dir_(std::move(dir)), base_(std::move(base)), ca_(std::move(ca)) {}

  http_result run(const std::string& method, const std::string& url, const std::vector<std::string>& headers = {},
                  const std::string& body = {}) {
    const auto n = std::to_string(++count_);
    const auto body_in = dir_ / ("req" + n), body_out = dir_ / ("body" + n), head_out = dir_ / ("head" + n);
    std::string cmd = "curl -sS --max-time 20 --cacert '" + ca_.string() + "' -X " + method + " -o '" +
                      body_out.string() + "' -D '" + head_out.string() + "' -w '%{http_code}'";
    for (const auto& h : headers) cmd += " -H '" + h + "'";
    if (!body.empty()) {
      std::ofstream(body_in, std::ios::binary) << body;
      cmd += " -H 'Content-Type: application/json' --data-binary @'" + body_in.string() + "'";
    }
    cmd += " '" + url + "'";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    const int rc = ::pclose(pipe);
    INFO("command: " << cmd);
    REQUIRE(rc == 0);
    return {std::atoi(out.c_str()), read_file(head_out), read_file(body_out)};
  }

  http_result api(const std::string& method, const std::string& path, std::vector<std::string> headers = {},
                  const std::string& body = {}) {
    return run(method, base_ + path, headers, body);
  }

 private:
  std::filesystem::path dir_;
  std::string base_;
  std::filesystem::path ca_;
  int count_ = 0;
};

// base64url → bytes with OpenSSL's EVP_DecodeBlock (standard alphabet, padded).
std::string b64url_decode(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s += '=';
  std::string out(s.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  REQUIRE(n >= 0);
  std::size_t pad = 0;
  while (pad < 2 && s.size() > pad && s[s.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// Rebuilds the RSA public key from the JWK's n and e and verifies an RS256 JWT.
bool verify_with_jwk(const std::string& token, const std::string& n_b64, const std::string& e_b64) {
  const std::string n = b64url_decode(n_b64), e = b64url_decode(e_b64);
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool built = EVP_PKEY_fromdata_init(pctx) == 1 &&
                     EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  bool ok = false;
  if (built) {
    const std::size_t last_dot = token.rfind('.');
    const std::string signed_part = token.substr(0, last_dot);
    const std::string sig = b64url_decode(token.substr(last_dot + 1));
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
         EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    EVP_MD_CTX_free(md);
  }
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return ok;
}

struct running_emulator {
  codex::test::temp_dir dir{"codex-emulator-test"};
  emu::emulator server;
  curl_client curl;

  running_emulator()
      : server(options(dir.path)), curl(dir.path, (server.start(), server.base_url()), dir.path / "ca.pem") {}
  ~running_emulator() { server.stop(); }

  static emu::emulator_options options(const std::filesystem::path& dir) {
    emu::emulator_options o;
    o.state_dir = dir;
    o.threads = 2;
    return o;
  }

  std::string key_header() const { return "X-API-Key: " + server.credentials().api_key; }
  std::string admin_header() const { return "X-Emulator-Admin: " + server.admin_token(); }
};

}  // namespace

TEST_CASE("state files: ca.pem and credentials.json, mode 0600", "[emulator][integration]") {
  running_emulator e;
  struct stat st{};
  REQUIRE(::stat(e.server.credentials_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(e.server.ca_file().c_str(), &st) == 0);
  CHECK(read_file(e.server.ca_file()) == e.server.ca_pem());

  const std::string creds = read_file(e.server.credentials_file());
  CHECK(json_text(creds, "/base_url") == e.server.base_url());
  CHECK(json_text(creds, "/base_url") == "https://127.0.0.1:" + std::to_string(e.server.port()) + "/v1");
  CHECK(json_text(creds, "/ca_file") == e.server.ca_file().string());
  CHECK(json_text(creds, "/admin_token") == e.server.admin_token());
  CHECK(json_text(creds, "/project_id") == e.server.credentials().project_id);
  CHECK(json_text(creds, "/api_key").starts_with("cdx_"));
  CHECK(json_text(creds, "/read_only_api_key").starts_with("cdx_"));
  CHECK(json_text(creds, "/client_id").starts_with("cid_"));
  CHECK(json_text(creds, "/client_secret").starts_with("cs_"));
}

TEST_CASE("curl smoke test: create, get, list, batch, 429", "[emulator][integration]") {
  running_emulator e;
  auto created = e.curl.api("POST", "/documents", {e.key_header()}, R"({"title":"over TLS","tags":["smoke"]})");
  REQUIRE(created.status == 201);
  CHECK(created.header("X-Request-Id").starts_with("req_"));
  CHECK(created.header("X-RateLimit-Limit") == "1000");
  const std::string id = json_text(created.body, "/id");
  REQUIRE(id.starts_with("doc_"));

  auto got = e.curl.api("GET", "/documents/" + id, {e.key_header()});
  CHECK(got.status == 200);
  CHECK(json_text(got.body, "/title") == "over TLS");
  CHECK(e.curl.api("GET", "/documents/" + id).status == 404);  // anonymous: private

  auto listed = e.curl.api("GET", "/documents?tag=smoke&limit=10", {e.key_header()});
  CHECK(listed.status == 200);
  CHECK(json_text(listed.body, "/data/0/id") == id);

  auto batch = e.curl.api("POST", "/documents/batch", {e.key_header()}, R"({"items":[{"title":"a"},{"title":1}]})");
  CHECK(batch.status == 200);
  CHECK(batch.body.find(R"("succeeded":1)") != std::string::npos);

  auto config = e.curl.run("POST", "https://127.0.0.1:" + std::to_string(e.server.port()) + "/_emulator/config",
                           {e.admin_header()}, R"({"rate_limit":{"limit":2}})");
  REQUIRE(config.status == 200);
  CHECK(e.curl.api("GET", "/account", {e.key_header()}).status == 200);
  CHECK(e.curl.api("GET", "/account", {e.key_header()}).status == 200);
  auto limited = e.curl.api("GET", "/account", {e.key_header()});
  CHECK(limited.status == 429);
  CHECK(limited.header("Retry-After") == "30");
  CHECK(json_text(limited.body, "/error") == "rate_limited");
}

TEST_CASE("tokens verify against the JWKS with OpenSSL alone; a 2 s token expires", "[emulator][integration]") {
  running_emulator e;
  const std::string root = "https://127.0.0.1:" + std::to_string(e.server.port());
  REQUIRE(e.curl.run("POST", root + "/_emulator/config", {e.admin_header()}, R"({"token_ttl":2})").status == 200);

  const auto& seed = e.server.credentials();
  auto token_reply = e.curl.api("POST", "/auth/token", {},
                                R"({"client_id":")" + seed.client_id + R"(","client_secret":")" + seed.client_secret + "\"}");
  // exp is whole seconds (iat + ttl, iat rounded down): a 2 s token is good for at
  // least 1 s after it is issued, so it is used at once, and checked expired 2.2 s on.
  const auto issued = std::chrono::steady_clock::now();
  REQUIRE(token_reply.status == 200);
  const std::string token = json_text(token_reply.body, "/access_token");
  CHECK(token_reply.body.find(R"("expires_in":2)") != std::string::npos);
  CHECK(e.curl.api("GET", "/account", {"Authorization: Bearer " + token}).status == 200);

  auto jwks = e.curl.run("GET", root + "/.well-known/jwks.json");
  REQUIRE(jwks.status == 200);
  const std::string n = json_text(jwks.body, "/keys/0/n"), exponent = json_text(jwks.body, "/keys/0/e");
  CHECK(json_text(jwks.body, "/keys/0/kid") ==
        json_text(b64url_decode(token.substr(0, token.find('.'))), "/kid"));
  CHECK(verify_with_jwk(token, n, exponent));
  std::string tampered = token;
  tampered[token.find('.') + 5] ^= 1;
  CHECK_FALSE(verify_with_jwk(tampered, n, exponent));

  std::this_thread::sleep_until(issued + 2200ms);
  auto expired = e.curl.api("GET", "/account", {"Authorization: Bearer " + token});
  CHECK(expired.status == 401);
  CHECK(expired.header("WWW-Authenticate") == R"(Bearer error="invalid_token")");
  CHECK(json_text(expired.body, "/error") == "invalid_token");
}
