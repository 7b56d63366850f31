// Runs each example program against an in-process emulator, configured only through
// the environment (CODEX_CREDENTIALS_FILE → the emulator's credentials.json), and
// checks its output and exit status. The examples' paths come from meson
// (CODEX_EXAMPLE_* variables, see examples/meson.build).

#include "emulator/emulator.hpp"
#include "run_coroutine.hpp"
#include "temp_dir.hpp"

#include <codex/client.hpp>

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace emu = codex::emulator;

namespace {

struct run_result {
  int exit_status = -1;
  std::string output;  ///< stdout and stderr
};

std::string example_path(const char* variable) {
  const char* path = std::getenv(variable);
  INFO("meson passes the example's path in " << variable);
  REQUIRE(path != nullptr);
  REQUIRE(std::filesystem::exists(path));
  return path;
}

/// Runs a program (no arguments from callers' data: the paths and fixed words only).
run_result run(const std::string& program, const std::string& argument = {}) {
  std::string command = "'" + program + "'";
  if (!argument.empty()) command += " '" + argument + "'";
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  run_result result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
  const int status = ::pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Only the credentials file configures the examples.
void clear_codex_environment() {
  for (const char* name : {"CODEX_API_KEY", "CODEX_CLIENT_ID", "CODEX_CLIENT_SECRET", "CODEX_ACCESS_TOKEN",
                           "CODEX_BASE_URL", "CODEX_CA_FILE", "CODEX_RATE_LIMIT", "CODEX_CREDENTIALS_FILE"}) {
    ::unsetenv(name);
  }
}

struct running_emulator {
  codex::test::temp_dir dir{"codex-examples"};
  emu::emulator server;

  static emu::emulator_options options(const std::filesystem::path& dir) {
    emu::emulator_options o;
    o.state_dir = dir;
    o.threads = 2;
    return o;
  }

  running_emulator() : server(options(dir.path)) {
    server.start();
    clear_codex_environment();
    ::setenv("CODEX_CREDENTIALS_FILE", server.credentials_file().c_str(), 1);
  }
  ~running_emulator() {
    clear_codex_environment();
    server.stop();
  }

  /// Creates `n` documents tagged `tag` with the SDK.
  void seed_documents(std::size_t n, std::string tag) {
    codex::config cfg;
    cfg.base_url = server.base_url();
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(server.credentials().api_key)};
    cfg.transport.tls.ca_file = server.ca_file().string();
    codex::test::run_coroutine([&](asio::any_io_executor executor) -> asio::awaitable<void> {
      codex::client api{executor, cfg};
      std::vector<codex::document_input> items;
      for (std::size_t i = 0; i < n; ++i) {
        items.push_back({.title = "seeded " + std::to_string(i), .body = "b", .tags = {tag}, .metadata = {}});
        if (items.size() == 1000 || i + 1 == n) {
          const codex::batch_result r = co_await api.documents().batch_create(items);
          REQUIRE(r.failed == 0);
          items.clear();
        }
      }
    });
  }
};

}  // namespace

TEST_CASE("example: batch_create prints per-item failures", "[examples][integration]") {
  running_emulator e;
  const auto r = run(example_path("CODEX_EXAMPLE_BATCH_CREATE"));
  INFO(r.output);
  CHECK(r.exit_status == 0);
  CHECK(contains(r.output, "item 0: 201 created doc_"));
  CHECK(contains(r.output, "item 1: 422 failed: invalid_field: id"));
  CHECK(contains(r.output, "item 2: 201 created doc_"));
  CHECK(contains(r.output, "item 3: 422 failed: invalid_field: id"));
  CHECK(contains(r.output, "item 4: 201 created doc_"));
  CHECK(contains(r.output, "succeeded 3, failed 2"));
}

TEST_CASE("example: list_all walks every document across pages", "[examples][integration]") {
  running_emulator e;
  e.seed_documents(1500, "walk");  // two pages of 1,000
  e.seed_documents(3, "elsewhere");

  const auto tagged = run(example_path("CODEX_EXAMPLE_LIST_ALL"), "walk");
  INFO(tagged.output.substr(0, 2000));
  CHECK(tagged.exit_status == 0);
  CHECK(contains(tagged.output, "\n1500 documents\n"));
  CHECK(count_lines(tagged.output) == 1501);
  CHECK(contains(tagged.output, "\tseeded 0\n"));
  CHECK(contains(tagged.output, "\tseeded 1499\n"));

  const auto everything = run(example_path("CODEX_EXAMPLE_LIST_ALL"));
  CHECK(everything.exit_status == 0);
  CHECK(contains(everything.output, "\n1503 documents\n"));
}

TEST_CASE("example: a service doing its own work while it calls the API", "[examples][integration]") {
  running_emulator e;
  e.seed_documents(2, "service");
  const auto r = run(example_path("CODEX_EXAMPLE_SERVICE"));
  INFO(r.output);
  CHECK(r.exit_status == 0);
  CHECK(contains(r.output, "account: project " + e.server.credentials().project_id + " (read_write) as api_key"));
  CHECK(contains(r.output, "documents on the first page: 2\n"));
  CHECK(contains(r.output, "  seeded 1\n"));
  CHECK(contains(r.output, "heartbeats meanwhile: "));
}

TEST_CASE("examples: a configuration or credential failure is a non-zero exit with a message",
          "[examples][integration]") {
  running_emulator e;
  SECTION("no credentials file") {
    ::setenv("CODEX_CREDENTIALS_FILE", (e.dir.path / "missing.json").c_str(), 1);
    const auto r = run(example_path("CODEX_EXAMPLE_SERVICE"));
    INFO(r.output);
    CHECK(r.exit_status == 2);
    CHECK(contains(r.output, "configuration: "));
  }
  SECTION("a key the service does not know") {
    ::setenv("CODEX_API_KEY", "cdx_0000000000000000000000000000000000000000", 1);
    ::setenv("CODEX_BASE_URL", e.server.base_url().c_str(), 1);
    ::setenv("CODEX_CA_FILE", e.server.ca_file().c_str(), 1);
    const auto r = run(example_path("CODEX_EXAMPLE_SERVICE"));
    INFO(r.output);
    CHECK(r.exit_status == 1);
    CHECK(contains(r.output, "401"));
  }
}
