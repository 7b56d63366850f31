#pragma once
// A real HTTP proxy for tests: Debian's tinyproxy on an ephemeral port of 127.0.0.1,
// with a config written to a temporary directory (optionally BasicAuth), logging every
// CONNECT to a file the test reads; killed (SIGKILL) or stopped when the test is done.

#include "child_process.hpp"
#include "free_port.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace codex::test {

class tinyproxy_server {
 public:
  struct basic_auth {
    std::string user;
    std::string password;
  };

  explicit tinyproxy_server(std::optional<basic_auth> auth = std::nullopt) : port_(free_port()) {
    std::ofstream conf(dir_.path / "tinyproxy.conf");
    conf << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\nAllow 127.0.0.1\n"
         << "LogFile \"" << log_path() << "\"\nLogLevel Connect\n";  // Connect: one line per CONNECT
    if (auth) conf << "BasicAuth " << auth->user << " " << auth->password << "\n";
    conf.close();
    const int out = ::open((dir_.path / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(out >= 0);
    process_ = std::make_unique<child>(
        std::vector<std::string>{"tinyproxy", "-d", "-c", (dir_.path / "tinyproxy.conf").string()}, environment(), out,
        out);
    ::close(out);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!accepts()) {
      INFO("tinyproxy did not start; see " << dir_.path);
      REQUIRE(process_->running());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~tinyproxy_server() { kill(); }
  tinyproxy_server(const tinyproxy_server&) = delete;
  tinyproxy_server& operator=(const tinyproxy_server&) = delete;

  /// "http://127.0.0.1:PORT".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const noexcept { return port_; }

  /// SIGKILL: the proxy vanishes at once, with every tunnel it held.
  void kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_for(std::chrono::seconds(5));
    process_.reset();
  }

  /// How many CONNECTs to `authority` ("127.0.0.1:PORT") the log shows. tinyproxy writes
  /// the line as it reads the request, before it answers: by the time our call ended,
  /// it is there.
  std::size_t connects_to(const std::string& authority) const {
    std::ifstream in(log_path());
    std::string line;
    std::size_t count = 0;
    const std::string needle = "CONNECT " + authority + " HTTP/1.1";
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) ++count;
    return count;
  }
  /// The whole log, for failure messages.
  std::string log() const {
    std::ifstream in(log_path());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  static std::vector<std::string> environment() {
    std::vector<std::string> env;
    if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
    return env;
  }


  bool accepts() const { return loopback_accepts(port_); }

  std::string log_path() const { return (dir_.path / "tinyproxy.log").string(); }

  temp_dir dir_{"codex-tinyproxy"};
  std::uint16_t port_;
  std::unique_ptr<child> process_;
};

}  // namespace codex::test
