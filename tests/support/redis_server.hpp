#pragma once
// A real redis-server for tests: started on an ephemeral TCP port of 127.0.0.1 or on a
// unix socket in a temporary directory, with no persistence; stopped (SIGTERM, then
// SIGKILL) when the test is done. kill() and start() again simulate a crash and a
// restart at the same address (the data is gone, as after a restart without disk).
// Optionally with a password (requirepass), ACL users, and TLS only (tls-port) with a
// CA and leaf made at start (nothing of it is stored in the repository).

#include "child_process.hpp"
#include "emulator/pki.hpp"
#include "free_port.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace codex::test {

class redis_server {
 public:
  enum class transport { tcp, unix_socket };

  struct options {
    transport how = transport::tcp;
    std::string requirepass;             ///< the default user's password; empty: none
    std::vector<std::string> acl_users;  ///< ACL rules, one user each: "codex on >pw ~codex:* +@all"
    bool tls = false;                    ///< TLS only, on the TCP port
    bool require_client_certificate = false;  ///< tls-auth-clients yes (else no)
    emulator::pki::subject_names tls_names{.dns = {"localhost"}, .ip_addresses = {"127.0.0.1"}};
    std::uint16_t replica_of = 0;        ///< a replica of the master on this port of 127.0.0.1; 0: a master
  };

  explicit redis_server(transport how = transport::tcp) : redis_server(options{.how = how}) {}

  explicit redis_server(options o) : how_(o.how), options_(std::move(o)) {
    if (how_ == transport::tcp) port_ = free_port();
    if (options_.tls) write_pki();
    write_config();
    start();
  }
  ~redis_server() { stop(); }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// "redis://127.0.0.1:PORT/0" ("rediss://" with TLS) or "unix:///tmp/…/redis.sock".
  std::string url() const {
    if (how_ == transport::unix_socket) return "unix://" + socket_path();
    return std::string(options_.tls ? "rediss" : "redis") + "://127.0.0.1:" + std::to_string(port_) + "/0";
  }
  std::uint16_t port() const noexcept { return port_; }

  /// With TLS: the CA that signed the server's certificate (PEM file), and a client
  /// certificate it issues (chain and key files) for tls-auth-clients.
  std::string ca_file() const { return (dir_.path / "ca.pem").string(); }
  std::pair<std::string, std::string> client_certificate() const {
    return {(dir_.path / "client.pem").string(), (dir_.path / "client.key").string()};
  }
  /// The server's log (redis.log in its directory).
  std::filesystem::path log_file() const { return dir_.path / "redis.log"; }

  /// Starts redis-server and waits (≤ 10 s) until it accepts connections.
  void start() {
    std::vector<std::string> argv = {"redis-server", (dir_.path / "redis.conf").string()};
    const int log = ::open((dir_.path / "redis.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(log >= 0);
    process_ = std::make_unique<child>(argv, environment(), log, log);
    ::close(log);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts()) {
      INFO("redis-server did not start; see " << (dir_.path / "redis.log"));
      REQUIRE(process_->running());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  /// SIGKILL: Redis vanishes at once, its data with it.
  void kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_for(std::chrono::seconds(10));
    process_.reset();
  }

  /// SIGSTOP / SIGCONT: Redis still accepts connections (the kernel does) but answers nothing.
  void pause() { process_->signal(SIGSTOP); }
  void resume() { process_->signal(SIGCONT); }

  void stop() {
    if (!process_) return;
    process_->signal(SIGCONT);
    process_->signal(SIGTERM);
    if (!process_->wait_for(std::chrono::seconds(5))) process_->signal(SIGKILL);
    process_->wait_for(std::chrono::seconds(5));
    process_.reset();
  }

 private:
  static std::vector<std::string> environment() {
    std::vector<std::string> env;
    if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
    return env;
  }

  std::string socket_path() const { return (dir_.path / "redis.sock").string(); }

  // A config file rather than arguments: ACL rules and TLS settings read more plainly there.
  void write_config() const {
    std::ofstream conf(dir_.path / "redis.conf");
    conf << "save \"\"\nappendonly no\ndaemonize no\nloglevel warning\ndir " << dir_.path.string() << "\n";
    if (how_ == transport::unix_socket) {
      conf << "port 0\nunixsocket " << socket_path() << "\nunixsocketperm 700\n";
    } else if (options_.tls) {
      const auto d = dir_.path.string();
      conf << "bind 127.0.0.1\nport 0\ntls-port " << port_ << "\ntls-cert-file " << d << "/server.pem\ntls-key-file " << d
           << "/server.key\ntls-ca-cert-file " << d << "/ca.pem\ntls-auth-clients "
           << (options_.require_client_certificate ? "yes" : "no") << "\n";
    } else {
      conf << "bind 127.0.0.1\nport " << port_ << "\n";
    }
    if (!options_.requirepass.empty()) conf << "requirepass " << options_.requirepass << "\n";
    if (options_.replica_of != 0) conf << "replicaof 127.0.0.1 " << options_.replica_of << "\n";
    for (const auto& rule : options_.acl_users) conf << "user " << rule << "\n";
    REQUIRE(conf.good());
  }

  void write_pki() const {
    const emulator::pki::authority ca("codex-test Redis CA");
    const auto leaf = ca.issue("redis", options_.tls_names);
    const auto client = ca.issue_client("codex-limiter");
    emulator::pki::write_file_atomically(dir_.path / "ca.pem", ca.certificate_pem());
    emulator::pki::write_file_atomically(dir_.path / "server.pem", leaf.chain_pem);
    emulator::pki::write_file_atomically(dir_.path / "server.key", leaf.private_key_pem);
    emulator::pki::write_file_atomically(dir_.path / "client.pem", client.chain_pem);
    emulator::pki::write_file_atomically(dir_.path / "client.key", client.private_key_pem);
  }

  bool accepts() const {
    if (how_ == transport::tcp) return loopback_accepts(port_);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket_path();
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::close(fd);
    return rc == 0;
  }

  transport how_;
  options options_;
  temp_dir dir_{"codex-redis"};
  std::uint16_t port_ = 0;
  std::unique_ptr<child> process_;
};

/// A real redis-sentinel (Debian's) on an ephemeral port of 127.0.0.1 watching the master
/// on `master_port` as `name`, with short timeouts so that tests stay quick: a master
/// silent for 1 s is down, a failover times out after 4 s. Stopped at the end.
class redis_sentinel {
 public:
  redis_sentinel(std::uint16_t master_port, std::string name = "mymaster") : port_(free_port()) {
    {
      // Sentinel rewrites its config file as it learns: it must be its own, writable.
      std::ofstream conf(dir_.path / "sentinel.conf");
      conf << "bind 127.0.0.1\nport " << port_ << "\ndaemonize no\nloglevel warning\ndir " << dir_.path.string() << "\n"
           << "sentinel monitor " << name << " 127.0.0.1 " << master_port << " 1\n"
           << "sentinel down-after-milliseconds " << name << " 1000\n"
           << "sentinel failover-timeout " << name << " 4000\n";
      REQUIRE(conf.good());
    }
    const std::vector<std::string> argv = {"redis-sentinel", (dir_.path / "sentinel.conf").string()};
    const int log = ::open((dir_.path / "sentinel.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(log >= 0);
    std::vector<std::string> env;
    if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
    process_ = std::make_unique<child>(argv, env, log, log);
    ::close(log);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      if (loopback_accepts(port_)) break;
      INFO("redis-sentinel did not start; see " << (dir_.path / "sentinel.log"));
      REQUIRE(process_->running());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~redis_sentinel() {
    process_->signal(SIGTERM);
    if (!process_->wait_for(std::chrono::seconds(5))) process_->signal(SIGKILL);
    process_->wait_for(std::chrono::seconds(5));
  }
  redis_sentinel(const redis_sentinel&) = delete;
  redis_sentinel& operator=(const redis_sentinel&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::filesystem::path log_file() const { return dir_.path / "sentinel.log"; }

 private:
  temp_dir dir_{"codex-sentinel"};
  std::uint16_t port_;
  std::unique_ptr<child> process_;
};

}  // namespace codex::test
