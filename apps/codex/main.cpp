// codex: the command-line tool over the SDK. Parses the command line (CLI11) and
// runs one subcommand; each subcommand lives in its own file.

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

constexpr const char* exit_codes_help =
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 authentication or permission, 4 not found,\n"
    "5 rate limited, 6 ingest finished with rejected items, 7 transport (connect, TLS, timeout).\n"
    "Credentials: flags, else CODEX_API_KEY / CODEX_CLIENT_ID+CODEX_CLIENT_SECRET / CODEX_ACCESS_TOKEN,\n"
    "else the emulator's credentials.json (CODEX_CREDENTIALS_FILE or its default place).\n"
    "Prefer the environment for secrets: flags are visible to other users in the process list.";

void add_global_flags(CLI::App& app, codex::cli::settings& s) {
  app.add_option("--base-url", s.base_url, "API base URL (default: CODEX_BASE_URL, the credentials file, or https://api.codex.dev/v1)");
  app.add_option("--api-key", s.api_key, "API key");
  app.add_option("--client-id", s.client_id, "Client id (with --client-secret)");
  app.add_option("--client-secret", s.client_secret, "Client secret");
  app.add_option("--access-token", s.access_token, "A Bearer token to use as is");
  app.add_option("--ca-file", s.ca_file, "PEM file of CAs to trust (default: CODEX_CA_FILE or the system store)");
  app.add_option("--rate-limit", s.rate_limit, "Client-side limit, e.g. 1000/60s (default: CODEX_RATE_LIMIT or 1000/60s)");
  app.add_option("--credentials-file", s.credentials_file, "The emulator's credentials.json");
  app.add_flag("--json", s.json, "Machine-readable output");
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = codex::cli;
  CLI::App app{"codex — the Codex API from the command line"};
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  cli::settings settings;
  add_global_flags(app, settings);

  std::function<asio::awaitable<int>(codex::client&)> command;
  auto* whoami = app.add_subcommand("whoami", "Show the project, permission and credential kind");
  whoami->callback([&] { command = [&](codex::client& api) { return cli::whoami(api, settings.json); }; });

  bool show = false;
  auto* token = app.add_subcommand("token", "Obtain an access token; print its scope and expiry");
  token->add_flag("--show", show, "Also print the token itself");
  token->callback([&] { command = [&](codex::client& api) { return cli::token(api, settings.json, show); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? cli::exit_ok : cli::exit_usage;
  }
  auto cfg = cli::resolve_config(settings);
  if (!cfg) {
    cli::print_error(cfg.error());
    return cli::exit_code_for(cfg.code());
  }
  return cli::run(*cfg, command);
}
