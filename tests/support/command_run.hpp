#pragma once
// Running a program to completion for tests — the `codex` command above all — with its
// stdout and stderr read through pipes (never a terminal), its environment explicit
// and every wait bounded; and the checks that every failed `codex` run must pass.
// (Moved out of tests/integration/cli_test.cpp, whose copies go once it uses these.)

#include "child_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace codex::test {

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The path of a binary that meson passes in the environment variable `variable`.
inline std::string binary(const char* variable) {
  const char* path = std::getenv(variable);
  INFO("meson passes the binary's path in " << variable);
  REQUIRE(path != nullptr);
  REQUIRE(std::filesystem::exists(path));
  return path;
}

/// Our environment without any CODEX_* variable (nor TMUX), plus `extra` ("NAME=value").
inline std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("CODEX_") || entry.starts_with("TMUX=") || entry.starts_with("TMUX_PANE=")) continue;
    env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

/// The exit code of a wait status: the exit status, or 128 + the signal.
inline int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
  double seconds = 0;
};

inline std::ostream& operator<<(std::ostream& os, const run_result& r) {
  return os << "exit " << r.exit_code << (r.timed_out ? " (timed out)" : "") << " after " << r.seconds
            << " s\n--- stdout ---\n" << r.out.substr(0, 3000) << "\n--- stderr ---\n" << r.err.substr(0, 3000);
}

struct pipe_pair {
  pipe_pair() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~pipe_pair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  void close_write() {
    ::close(fds[1]);
    fds[1] = -1;
  }
  int fds[2] = {-1, -1};
};

/// Runs a program to completion with stdout and stderr read through pipes (so stdout is
/// never a terminal); killed when it takes longer than `timeout`.
inline run_result run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  using std::chrono::steady_clock;
  const auto start = steady_clock::now();
  const auto deadline = start + timeout;
  pipe_pair out, err;
  child process(argv, env, out.fds[1], err.fds[1]);
  out.close_write();
  err.close_write();

  run_result result;
  bool out_open = true, err_open = true;
  char buffer[65536];
  while ((out_open || err_open) && steady_clock::now() < deadline) {
    pollfd fds[2] = {{.fd = out_open ? out.fds[0] : -1, .events = POLLIN, .revents = 0},
                     {.fd = err_open ? err.fds[0] : -1, .events = POLLIN, .revents = 0}};
    const int ready = ::poll(fds, 2, 100);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
  const int status = process.finish(std::max(left, std::chrono::milliseconds(100)), result.timed_out);
  result.timed_out = result.timed_out || out_open || err_open;
  result.exit_code = exit_code(status);
  result.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  return result;
}

/// Runs `codex ARGS…` (the binary meson passes in CODEX_BIN) in a pipe.
inline run_result run_codex(const std::vector<std::string>& args, const std::vector<std::string>& env,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> argv = {binary("CODEX_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env, timeout);
}

inline void check_no_secret(const run_result& r, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    CHECK_FALSE(contains(r.out, s));
    CHECK_FALSE(contains(r.err, s));
  }
}

/// A failed command: its exit code, and stderr is "codex: credentials from …" (when
/// credentials were resolved) plus exactly one error line, "codex: …" — no stack
/// trace, no abort, no secret.
inline void check_error_exit(const run_result& r, int expected, const std::vector<std::string>& secrets) {
  INFO(r);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == expected);
  std::size_t error_lines = 0;
  for (const auto& line : lines_of(r.err)) {
    CHECK(line.starts_with("codex: "));
    if (!line.starts_with("codex: credentials from ")) ++error_lines;
  }
  CHECK(error_lines == 1);
  for (const char* crash : {"terminate called", "what():", "Aborted", "Segmentation", "#0 ", "stack"}) {
    CHECK_FALSE(contains(r.err, crash));
  }
  check_no_secret(r, secrets);
}

}  // namespace codex::test
