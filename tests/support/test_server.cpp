#include "test_server.hpp"

#include "emulator/pki.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace codex::test {
namespace {

const emulator::pki::subject_names loopback_names{
    .dns = {"localhost"},
    .ip_addresses = {"127.0.0.1", "::1"},
};

const emulator::pki::subject_names other_host_names{
    .dns = {"other.example"},
    .ip_addresses = {},
};

emulator::tls_identity identity_for(server_certificate kind, const emulator::pki::authority& trusted) {
  emulator::pki::leaf_credentials leaf;
  switch (kind) {
    case server_certificate::trusted:
      leaf = trusted.issue("localhost", loopback_names);
      break;
    case server_certificate::other_ca:
      // A CA nobody trusts, alive just long enough to sign.
      leaf = emulator::pki::authority{"codex-test untrusted CA"}.issue("localhost", loopback_names);
      break;
    case server_certificate::other_host:
      leaf = trusted.issue("other.example", other_host_names);
      break;
  }
  return {.certificate_chain_pem = std::move(leaf.chain_pem), .private_key_pem = std::move(leaf.private_key_pem)};
}

}  // namespace

test_server::scratch_directory::scratch_directory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "codex-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "test_server: mkdtemp");
  }
  path = pattern;
}

test_server::scratch_directory::~scratch_directory() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

emulator::response_plan test_server::default_response() {
  emulator::response_plan plan;
  plan.headers.add("Content-Type", "application/json");
  plan.body = R"({"ok":true})";
  return plan;
}

test_server::test_server(handler on_request, test_server_options options) {
  const emulator::pki::authority trusted{"codex-test CA"};
  ca_file_ = (directory_.path / "ca.pem").string();
  emulator::pki::write_file_atomically(ca_file_, trusted.certificate_pem());

  if (!on_request) {
    on_request = [](net::codec::server_request&, const emulator::request_context&) { return default_response(); };
  }
  options.server.host = "127.0.0.1";
  options.server.port = 0;
  if (!options.server.step_faults) options.server.step_faults = std::make_shared<emulator::step_fault_switch>();
  step_faults_ = options.server.step_faults;
  emulator::tls_identity identity = identity_for(options.certificate, trusted);
  identity.client_ca_pem = std::move(options.client_ca_pem);
  server_ = std::make_unique<emulator::https_server>(std::move(options.server), std::move(identity),
                                                     std::move(on_request));
  server_->start();
}

test_server test_server::signed_by_other_ca(handler on_request) {
  return test_server{std::move(on_request), {.certificate = server_certificate::other_ca}};
}

test_server test_server::for_other_host(handler on_request) {
  return test_server{std::move(on_request), {.certificate = server_certificate::other_host}};
}

test_server::~test_server() = default;

std::uint16_t test_server::port() const { return server_->port(); }

std::string test_server::base_url() const { return "https://127.0.0.1:" + std::to_string(port()); }

emulator::server_stats test_server::stats() const { return server_->stats(); }

void test_server::stop() { server_->stop(); }

void test_server::fail_step(emulator::step_fault fault) { step_faults_->arm(fault); }

std::optional<emulator::step_schedule> test_server::steps() const { return step_faults_->snapshot(); }

}  // namespace codex::test
