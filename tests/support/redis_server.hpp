#pragma once
// A real redis-server for tests: started on an ephemeral TCP port of 127.0.0.1 or on a
// unix socket in a temporary directory, with no persistence; stopped (SIGTERM, then
// SIGKILL) when the test is done. kill() and start() again simulate a crash and a
// restart at the same address (the data is gone, as after a restart without disk).

#include "child_process.hpp"
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
#include <memory>
#include <string>
#include <thread>

namespace codex::test {

class redis_server {
 public:
  enum class transport { tcp, unix_socket };

  explicit redis_server(transport how = transport::tcp) : how_(how) {
    if (how_ == transport::tcp) port_ = free_port();
    start();
  }
  ~redis_server() { stop(); }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// "redis://127.0.0.1:PORT/0" or "unix:///tmp/…/redis.sock".
  std::string url() const {
    return how_ == transport::tcp ? "redis://127.0.0.1:" + std::to_string(port_) + "/0" : "unix://" + socket_path();
  }

  /// Starts redis-server and waits (≤ 10 s) until it accepts connections.
  void start() {
    std::vector<std::string> argv = {"redis-server", "--save", "", "--appendonly", "no", "--dir", dir_.path.string(),
                                     "--daemonize", "no", "--loglevel", "warning"};
    if (how_ == transport::tcp) {
      argv.insert(argv.end(), {"--bind", "127.0.0.1", "--port", std::to_string(port_)});
    } else {
      argv.insert(argv.end(), {"--port", "0", "--unixsocket", socket_path(), "--unixsocketperm", "700"});
    }
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

  bool accepts() const {
    int fd = -1;
    int rc = -1;
    if (how_ == transport::tcp) {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(port_);
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } else {
      fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      const std::string path = socket_path();
      path.copy(address.sun_path, sizeof address.sun_path - 1);
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    ::close(fd);
    return rc == 0;
  }

  transport how_;
  temp_dir dir_{"codex-redis"};
  std::uint16_t port_ = 0;
  std::unique_ptr<child> process_;
};

}  // namespace codex::test
