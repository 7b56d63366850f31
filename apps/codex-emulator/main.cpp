// codex-emulator: the Codex API emulator as a command (see api-contract.md,
// "Starting it"). A thin main over codex::emulator::emulator.

#include "emulator/emulator.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

namespace {

namespace emu = codex::emulator;

double seconds_of(std::chrono::milliseconds duration) { return std::chrono::duration<double>(duration).count(); }

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

struct command_line {
  emu::emulator_options options;
  std::string state_dir;
  double head_timeout_seconds = seconds_of(options.head_timeout);
  double body_timeout_seconds = seconds_of(options.body_timeout);
  double rate_window_seconds = 60;
  std::string rate_mode = "gcra";
  std::string retry_after = "seconds";
  std::uint32_t token_ttl = 3600;
};

void add_flags(CLI::App& app, command_line& cl) {
  auto& o = cl.options;
  auto& s = o.service;
  app.add_option("--host", o.host, "Address to bind")->capture_default_str();
  app.add_option("--port", o.port, "Port to bind (0: ephemeral)")->capture_default_str();
  app.add_option("--state-dir", cl.state_dir,
                 "Where ca.pem and credentials.json are written (default: $XDG_STATE_HOME/codex-emulator)");
  app.add_option("--admin-token", o.admin_token,
                 "X-Emulator-Admin token (default: $CODEX_EMULATOR_ADMIN_TOKEN, else random)");
  app.add_option("--rate-limit", s.rate_limit.limit, "Requests per window per credential")
      ->capture_default_str()->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--rate-window", cl.rate_window_seconds, "Rate limit window, seconds")
      ->capture_default_str()->check(CLI::Range(0.001, 86400.0));
  app.add_option("--rate-burst", s.rate_limit.burst, "GCRA bucket capacity (0: the limit)")->capture_default_str();
  app.add_option("--rate-mode", cl.rate_mode, "gcra or fixed-window")
      ->capture_default_str()->check(CLI::IsMember({"gcra", "fixed-window"}));
  app.add_option("--anonymous-rate-limit", s.anonymous_rate_limit.limit, "Anonymous requests per window per address")
      ->capture_default_str()->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--retry-after-format", cl.retry_after, "seconds or http-date")
      ->capture_default_str()->check(CLI::IsMember({"seconds", "http-date"}));
  app.add_option("--token-ttl", cl.token_ttl, "Access token lifetime, seconds")
      ->capture_default_str()->check(CLI::Range(1u, 31'536'000u));
  app.add_option("--max-documents", s.limits.max_documents, "Documents the emulator keeps at most")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Server threads")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--head-timeout", cl.head_timeout_seconds,
                 "Seconds a request head may take from its first byte; then 408 and close")
      ->capture_default_str()->check(CLI::Range(0.001, 3600.0));
  app.add_option("--body-timeout", cl.body_timeout_seconds,
                 "Seconds a request body may take in all; then 408 and close")
      ->capture_default_str()->check(CLI::Range(0.001, 86400.0));
  app.add_option("--max-connections-per-address", o.max_connections_per_address,
                 "Connections one client address may hold; more are closed at once")
      ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  app.add_option("--client-ca", o.client_ca_file,
                 "Mutual TLS: require a client certificate signed by a CA in this PEM file");
}

void apply(command_line& cl) {
  auto& s = cl.options.service;
  cl.options.head_timeout = milliseconds_of(cl.head_timeout_seconds);
  cl.options.body_timeout = milliseconds_of(cl.body_timeout_seconds);
  s.rate_limit.window = milliseconds_of(cl.rate_window_seconds);
  s.anonymous_rate_limit.window = s.rate_limit.window;
  s.rate_limit.mode = cl.rate_mode == "gcra" ? emu::limiter_mode::gcra : emu::limiter_mode::fixed_window;
  s.anonymous_rate_limit.mode = s.rate_limit.mode;
  s.retry_after = cl.retry_after == "seconds" ? emu::retry_after_format::seconds : emu::retry_after_format::http_date;
  s.token_ttl = std::chrono::seconds(cl.token_ttl);
  cl.options.state_dir = cl.state_dir.empty() ? emu::default_state_dir() : std::filesystem::path(cl.state_dir);
  if (cl.options.admin_token.empty()) {
    if (const char* env = std::getenv("CODEX_EMULATOR_ADMIN_TOKEN")) cl.options.admin_token = env;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"codex-emulator: a local emulator of the Codex API, over HTTPS"};
  command_line cl;
  add_flags(app, cl);
  CLI11_PARSE(app, argc, argv);
  apply(cl);

  // Block the stop signals before any thread starts, so that every server thread
  // inherits the mask and sigwait() below is the only place they are received.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    emu::emulator server{cl.options};
    server.start();
    std::cerr << "codex-emulator: credentials and CA in " << cl.options.state_dir.string() << "\n";
    std::cout << "codex-emulator listening on " << server.base_url() << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    std::cerr << "codex-emulator: stopping\n";
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "codex-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
