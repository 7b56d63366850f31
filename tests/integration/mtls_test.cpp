// Client certificates (mutual TLS) over real TLS on loopback: a server that requires a
// certificate signed by its client CA accepts the right one (plain or passphrase-
// protected key) and refuses — with errc::client_certificate_rejected — none, or one from
// another CA; files that cannot be used are a typed error at construction naming the
// file, never the passphrase; the emulator's --client-ca applies to the token fetch too.
// The PKI is made at run time (emulator::pki) and written to a temporary directory.

#include "emulator/emulator.hpp"
#include "emulator/pki.hpp"
#include "eventually.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>
#include <codex/net/transport.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

namespace emu = codex::emulator;
using codex::errc;
using namespace std::chrono_literals;

namespace {

/// A client CA, a certificate it signed, one signed by another CA, as PEM files.
struct client_pki {
  codex::test::temp_dir dir{"codex-mtls"};
  emu::pki::authority ca{"codex-test client CA"};
  std::string cert, key, encrypted_key, other_cert, other_key, ca_file;

  client_pki() {
    const auto leaf = ca.issue_client("codex-test client");
    const auto other = emu::pki::authority{"codex-test rogue CA"}.issue_client("codex-test client");
    cert = write("client.pem", leaf.chain_pem);
    key = write("client-key.pem", leaf.private_key_pem);
    encrypted_key = write("client-key-encrypted.pem", emu::pki::encrypt_private_key(leaf.private_key_pem, "open sesame"));
    other_cert = write("other.pem", other.chain_pem);
    other_key = write("other-key.pem", other.private_key_pem);
    ca_file = write("client-ca.pem", ca.certificate_pem());
  }
  std::string write(const char* name, const std::string& pem) {
    const auto path = dir.path / name;
    emu::pki::write_file_atomically(path, pem);
    return path.string();
  }
};

codex::net::transport_options with_certificate(const codex::test::test_server& server, std::string cert, std::string key,
                                               std::string passphrase = {}) {
  codex::net::transport_options options;
  options.tls.ca_file = server.ca_file();
  options.tls.client_certificate_file = std::move(cert);
  options.tls.client_key_file = std::move(key);
  options.tls.client_key_passphrase = codex::secret(passphrase);
  return options;
}

/// One GET / through a new transport with `options`.
codex::result<codex::net::http_response> get_with(const codex::test::test_server& server,
                                                 codex::net::transport_options options) {
  return codex::test::run_coroutine(
      [&](asio::any_io_executor ex) -> asio::awaitable<codex::result<codex::net::http_response>> {
        codex::net::transport transport{ex, codex::net::url::parse(server.base_url()).value(), std::move(options)};
        codex::net::http_request request;
        request.target = "/";
        co_return co_await transport.send(std::move(request), std::chrono::steady_clock::now() + 5s);
      },
      10s);
}

/// The codex::error that constructing a transport with `options` throws.
codex::error_info construction_error(codex::net::transport_options options) {
  asio::io_context io;
  try {
    codex::net::transport transport{io.get_executor(), codex::net::url::parse("https://127.0.0.1:1").value(), std::move(options)};
  } catch (const codex::error& e) {
    return e.info();
  }
  FAIL("the transport was built");
  return {};
}

}  // namespace

TEST_CASE("mtls: the right certificate is accepted, with a plain or an encrypted key", "[mtls]") {
  client_pki pki;
  codex::test::test_server server({}, {.client_ca_pem = pki.ca.certificate_pem()});
  auto plain = get_with(server, with_certificate(server, pki.cert, pki.key));
  REQUIRE(plain);
  CHECK(plain->status == 200);
  auto encrypted = get_with(server, with_certificate(server, pki.cert, pki.encrypted_key, "open sesame"));
  REQUIRE(encrypted);
  CHECK(encrypted->status == 200);
  CHECK(server.stats().handshake_failures == 0);
}

TEST_CASE("mtls: no certificate, or one from another CA, is client_certificate_rejected", "[mtls]") {
  client_pki pki;
  codex::test::test_server server({}, {.client_ca_pem = pki.ca.certificate_pem()});
  auto none = get_with(server, with_certificate(server, {}, {}));
  REQUIRE_FALSE(none);
  INFO(none.error().describe());
  CHECK(none.error().code == errc::client_certificate_rejected);

  auto other = get_with(server, with_certificate(server, pki.other_cert, pki.other_key));
  REQUIRE_FALSE(other);
  INFO(other.error().describe());
  CHECK(other.error().code == errc::client_certificate_rejected);
  // The server counts a refusal after its alert went out: the client may be first.
  CHECK(codex::test::eventually([&] { return server.stats().handshake_failures == 2; }));
  CHECK(server.stats().requests == 0);
}

TEST_CASE("mtls: unusable files are refused at construction, naming the file, never the passphrase", "[mtls]") {
  client_pki pki;
  codex::net::transport_options options;
  options.tls.client_certificate_file = pki.cert;
  options.tls.client_key_file = pki.encrypted_key;
  options.tls.client_key_passphrase = codex::secret("not-the-passphrase");
  auto wrong = construction_error(options);
  CHECK(wrong.code == errc::invalid_argument);
  CHECK(wrong.message.find(pki.encrypted_key) != std::string::npos);
  CHECK(wrong.message.find("not-the-passphrase") == std::string::npos);

  options.tls.client_key_passphrase = {};
  CHECK(construction_error(options).message.find(pki.encrypted_key) != std::string::npos);  // no passphrase given

  options.tls.client_key_file = pki.other_key;  // a key that is not the certificate's
  auto mismatch = construction_error(options);
  CHECK(mismatch.code == errc::invalid_argument);
  CHECK(mismatch.message.find("does not match") != std::string::npos);
  CHECK(mismatch.message.find(pki.other_key) != std::string::npos);

  options.tls.client_certificate_file = (pki.dir.path / "missing.pem").string();
  auto missing = construction_error(options);
  CHECK(missing.code == errc::invalid_argument);
  CHECK(missing.message.find("missing.pem") != std::string::npos);

  options.tls.client_certificate_file = {};
  options.tls.client_key_file = pki.key;  // a key alone is a mistake, not "no certificate"
  CHECK(construction_error(options).code == errc::invalid_argument);
}

TEST_CASE("mtls: the emulator's client CA applies to calls and to the token fetch", "[mtls]") {
  client_pki pki;
  codex::test::temp_dir state{"codex-mtls-emulator"};
  emu::emulator_options o;
  o.state_dir = state.path;
  o.client_ca_file = pki.ca_file;
  emu::emulator server{o};
  server.start();

  auto account_with = [&](codex::credentials creds, bool certificate) {
    codex::config cfg;
    cfg.base_url = server.base_url();
    cfg.credentials = std::move(creds);
    cfg.transport.tls.ca_file = server.ca_file().string();
    if (certificate) {
      cfg.transport.tls.client_certificate_file = pki.cert;
      cfg.transport.tls.client_key_file = pki.encrypted_key;
      cfg.transport.tls.client_key_passphrase = codex::secret("open sesame");
    }
    cfg.timeout = 5s;
    return codex::test::run_coroutine(
        [&](asio::any_io_executor ex) -> asio::awaitable<codex::result<codex::account>> {
          codex::client api(ex, cfg);
          co_return co_await api.try_account();
        },
        10s);
  };
  const auto& seed = server.credentials();
  const codex::credentials client =
      codex::client_credentials{.client_id = seed.client_id, .client_secret = codex::secret(seed.client_secret), .scope = {}};
  const codex::credentials key = codex::api_key_credentials{.key = codex::secret(seed.api_key)};

  CHECK(account_with(client, true));  // POST /auth/token, then GET /account, both with the certificate
  CHECK(server.api().stats().at(seed.client_id).tokens_issued == 1);
  auto refused = account_with(key, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::client_certificate_rejected);
  auto token_refused = account_with(client, false);
  REQUIRE_FALSE(token_refused);
  INFO(token_refused.error().describe());
  CHECK(token_refused.error().describe().find("client certificate") != std::string::npos);
  CHECK(server.api().stats().at(seed.client_id).tokens_issued == 1);
}
