#pragma once
// A scripted HTTPS server for client tests: the emulator's https_server with a
// throw-away PKI, listening on 127.0.0.1 on an ephemeral port.

#include "emulator/faults.hpp"
#include "emulator/https_server.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace codex::test {

/// Which certificate the server presents.
enum class server_certificate {
  trusted,     ///< a leaf for 127.0.0.1, ::1 and localhost, signed by the CA in ca_file()
  other_ca,    ///< the same names, signed by a CA the client was not told to trust
  other_host,  ///< signed by the trusted CA, but only for DNS:other.example
};

struct test_server_options {
  server_certificate certificate = server_certificate::trusted;
  /// Non-empty: mutual TLS, requiring a client certificate signed by these CAs (PEM).
  std::string client_ca_pem;
  /// Threads, timeouts, limits; host and port are those of the listening socket. With
  /// no server.step_faults the server gets a knob of its own (see fail_step()); give
  /// it one to share, e.g. an emulator::service's.
  emulator::server_options server{};
};

/// Starts at construction and stops in its destructor. The CA certificate that
/// clients should trust is written to ca_file(), in a fresh temporary directory
/// removed by the destructor; keys never touch the disk.
///
/// Thread-safety: every member may be called from any thread; the handler runs on
/// the server's threads, so whatever it records must be synchronised.
/// Errors: the constructor throws std::runtime_error / std::system_error when the
/// PKI or the listening socket cannot be set up.
class test_server {
 public:
  using handler = emulator::request_handler;

  /// Answers every request with 200 and a small JSON body ({"ok":true}).
  static emulator::response_plan default_response();

  explicit test_server(handler on_request = {}, test_server_options options = {});
  /// A server whose leaf is signed by a CA other than the one in ca_file().
  static test_server signed_by_other_ca(handler on_request = {});
  /// A server whose certificate names only other.example.
  static test_server for_other_host(handler on_request = {});

  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const;
  /// "https://127.0.0.1:PORT".
  std::string base_url() const;
  /// The PEM file of the CA that clients should trust.
  const std::string& ca_file() const noexcept { return ca_file_; }
  emulator::server_stats stats() const;
  /// "Fail the Nth step": from the next connection accepted, steps are counted afresh
  /// (accept, handshake, each read, each write; connections already open no longer
  /// count) and the nth suffers fault.action. n = 0: count only.
  void fail_step(emulator::step_fault fault);
  /// The steps counted since the last fail_step(); nullopt before the first.
  std::optional<emulator::step_schedule> steps() const;
  /// Stops early (the destructor does it otherwise). Idempotent.
  void stop();

 private:
  /// Owns the temporary directory; first member, so it is removed last.
  struct scratch_directory {
    scratch_directory();
    ~scratch_directory();
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
    std::filesystem::path path;
  };

  scratch_directory directory_;
  std::string ca_file_;
  std::shared_ptr<emulator::step_fault_switch> step_faults_;
  std::unique_ptr<emulator::https_server> server_;
};

}  // namespace codex::test
