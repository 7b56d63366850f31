#pragma once
// The Codex API emulator as one object: a run-time PKI, the API service and the
// HTTPS server, plus the state files (ca.pem, credentials.json) that the SDK and the
// CLI pick up. Tests start it in-process on 127.0.0.1:0.

#include "emulator/service.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace codex::emulator {

struct emulator_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;             ///< 0: an ephemeral port
  std::filesystem::path state_dir;    ///< where ca.pem and credentials.json go; empty: no files
  std::string admin_token;            ///< X-Emulator-Admin; empty: a random one
  std::size_t threads = 1;            ///< server threads
  service_options service{};          ///< limits, token TTL, faults (its admin_token is ignored)
  /// Slow and greedy clients (see server_options); the defaults are the server's.
  std::chrono::milliseconds head_timeout = server_options{}.head_timeout;
  std::chrono::milliseconds body_timeout = server_options{}.body_timeout;
  std::size_t max_connections_per_address = server_options{}.max_connections_per_address;
  /// Non-empty: mutual TLS — every connection must present a client certificate signed
  /// by a CA of this PEM file (read by start(); unreadable: std::runtime_error).
  std::filesystem::path client_ca_file;
};

/// Thread-safety: start() and stop() from one thread; the accessors from any thread
/// once start() returned. Errors: start() throws std::runtime_error /
/// std::system_error when the key, certificates, socket or files cannot be made.
class emulator {
 public:
  explicit emulator(emulator_options options);
  ~emulator();  ///< stop()s
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;

  /// Generates the CA, leaf and RSA key, seeds the credentials, binds, starts the
  /// server threads, then writes the state files (when a state_dir is set).
  void start();
  /// Stops the server (in-flight requests may finish, bounded). Idempotent.
  void stop();

  std::uint16_t port() const;
  /// "https://127.0.0.1:PORT/v1"
  std::string base_url() const;
  /// The CA certificate that signed the server's leaf (what clients trust), PEM.
  const std::string& ca_pem() const noexcept { return ca_pem_; }
  const std::string& admin_token() const noexcept { return admin_token_; }
  /// The seeded project, keys and client.
  const seed_credentials& credentials() const;
  /// The API service (for tests that look at its stats or options).
  service& api() noexcept { return *service_; }

  /// state_dir/ca.pem and state_dir/credentials.json.
  std::filesystem::path ca_file() const { return options_.state_dir / "ca.pem"; }
  std::filesystem::path credentials_file() const { return options_.state_dir / "credentials.json"; }

 private:
  emulator_options options_;
  std::string admin_token_;
  std::string ca_pem_;
  std::unique_ptr<service> service_;
  std::unique_ptr<https_server> server_;
};

/// $XDG_STATE_HOME/codex-emulator, else ~/.local/state/codex-emulator (else
/// ./codex-emulator-state when HOME is unset). Reads the environment.
std::filesystem::path default_state_dir();

/// The credentials.json document of the contract. Pure.
std::string credentials_json(const std::string& base_url, const std::filesystem::path& ca_file,
                             const std::string& admin_token, const seed_credentials& seed);

/// The host part of base URLs: the wildcard addresses become 127.0.0.1; IPv6
/// literals get brackets. Pure.
std::string url_host(std::string_view bind_host);

}  // namespace codex::emulator
