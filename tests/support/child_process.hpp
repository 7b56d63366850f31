#pragma once
// A child process for tests: posix_spawnp with an explicit argv and environment (no
// shell), stdin from /dev/null, stdout and stderr to given descriptors; killed
// (SIGKILL) and reaped when the test is done with it. Every wait is bounded.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace codex::test {

/// A running child; killed (SIGKILL) and reaped on destruction if still there.
class child {
 public:
  /// stdin is /dev/null; stdout and stderr go to `out_fd` and `err_fd` (dup2'd).
  child(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd, int err_fd) {
    std::vector<char*> args, vars;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& v : env) vars.push_back(const_cast<char*>(v.c_str()));
    vars.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), vars.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    INFO("spawning " << argv[0] << ": " << std::strerror(rc));
    REQUIRE(rc == 0);
  }
  ~child() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running() {
    if (reaped_) return false;
    return !poll_exit();
  }
  void signal(int number) {
    if (!reaped_) ::kill(pid_, number);
  }
  /// Waits up to `timeout` for the child to end; its wait status, or nothing.
  std::optional<int> wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reaped_ && !poll_exit()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
  }
  /// Waits up to `timeout`; else kills it. The wait status, and whether it timed out.
  int finish(std::chrono::milliseconds timeout, bool& timed_out) {
    auto status = wait_for(timeout);
    timed_out = !status;
    if (!status) {
      signal(SIGKILL);
      status = wait_for(std::chrono::seconds(10));
    }
    return status.value_or(-1);
  }

 private:
  bool poll_exit() {
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) reaped_ = true;
    return reaped_;
  }

  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace codex::test
