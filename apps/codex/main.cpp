// codex: the command-line tool over the SDK. Parses the command line (CLI11) and
// runs one subcommand; each subcommand lives in its own file.

#include "commands.hpp"
#include "terminal_text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

constexpr const char* exit_codes_help =
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 authentication or permission, 4 not found,\n"
    "5 rate limited, 6 ingest finished with rejected items, 7 transport (connect, TLS, timeout),\n"
    "8 the ingest job is running in another process, 130/143 interrupted (SIGINT/SIGTERM).\n"
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
  app.add_option("--client-cert", s.client_cert,
                 "Mutual TLS: PEM file of the client certificate chain (default: CODEX_CLIENT_CERT); an encrypted "
                 "key's passphrase comes from CODEX_CLIENT_KEY_PASSPHRASE");
  app.add_option("--client-key", s.client_key, "PEM file of the client certificate's key (default: CODEX_CLIENT_KEY, "
                                               "else the --client-cert file)");
  app.add_option("--proxy", s.proxy,
                 "HTTP proxy to tunnel through (CONNECT), http://[user:password@]host:port (default: https_proxy / "
                 "HTTPS_PROXY; no_proxy / NO_PROXY names hosts reached directly)");
  app.add_option("--rate-limit", s.rate_limit, "Client-side limit, e.g. 1000/60s (default: CODEX_RATE_LIMIT or 1000/60s)");
  app.add_option("--limiter", s.limiter,
                 "Where the rate limit is kept: local (default), or redis://[user@]host:port[/db], rediss:// (TLS), "
                 "redis+sentinel://h1:26379,h2:26379/master[/db] or unix:///path to share it with other processes and hosts "
                 "(default: CODEX_LIMITER_URL; the password from CODEX_LIMITER_PASSWORD); options "
                 "?on_down=wait|local&share=0.25&lease=N, for rediss:// ca_file=PATH&cert=PATH&key=PATH");
  app.add_option("--credentials-file", s.credentials_file, "The emulator's credentials.json");
  app.add_flag("--json", s.json, "Machine-readable output");
}

/// Whether `argument` is the name of a flag or subcommand of `app` or of its subcommands.
bool is_known_name(const CLI::App& app, std::string_view argument) {
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames())
      if (argument == "--" + name) return true;
    for (const auto& name : option->get_snames())
      if (argument == "-" + name) return true;
  }
  for (const CLI::App* sub : app.get_subcommands(nullptr))
    if (argument == sub->get_name() || is_known_name(*sub, argument)) return true;
  return false;
}

bool is_word_byte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

/// CLI11's messages quote what they refuse ("The following argument was not expected:
/// cdx_…"), and a misplaced argument may well be a secret: every argument but a flag or
/// subcommand name or a plain number is replaced with its position ("<argument 2>"),
/// and the value of a "--name=value" argument likewise.
std::string without_arguments(const std::string& message, const CLI::App& app, int argc, char** argv) {
  struct quoted {
    std::string text;
    int position;
  };
  std::vector<quoted> values;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (is_known_name(app, argument)) continue;
    if (const auto equals = argument.find('='); argument.starts_with('-') && equals != std::string_view::npos)
      argument.remove_prefix(equals + 1);
    const bool number = std::all_of(argument.begin(), argument.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!number) values.push_back({std::string(argument), i});
  }
  // Longest first, so that an argument inside a longer one does not leave the rest shown.
  std::stable_sort(values.begin(), values.end(), [](const quoted& a, const quoted& b) { return a.text.size() > b.text.size(); });
  auto quoted_at = [&](std::size_t at) -> const quoted* {
    for (const auto& value : values) {
      const std::size_t end = at + value.text.size();
      if (value.text.empty() || message.compare(at, value.text.size(), value.text) != 0) continue;
      // Whole words only: an argument "key" is not the start of "keyboard".
      const bool starts = at == 0 || !is_word_byte(message[at - 1]) || !is_word_byte(value.text.front());
      const bool ends = end == message.size() || !is_word_byte(message[end]) || !is_word_byte(value.text.back());
      if (starts && ends) return &value;
    }
    return nullptr;
  };
  std::string out;
  for (std::size_t at = 0; at < message.size();) {
    if (const quoted* value = quoted_at(at)) {
      out += "<argument " + std::to_string(value->position) + ">";
      at += value->text.size();
    } else {
      out += message[at++];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = codex::cli;
  CLI::App app{"codex — the Codex API from the command line"};
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  // Global flags also after the subcommand (`codex whoami --json`); set before the
  // subcommands are added, which inherit both settings.
  app.fallthrough();
  // A usage error is one line on stderr, like every other error, and shows no argument.
  app.failure_message([&app, argc, argv](const CLI::App*, const CLI::Error& e) {
    std::string line = without_arguments(e.what(), app, argc, argv);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return "codex: " + cli::printable(line) + " (see codex --help)\n";
  });
  cli::settings settings;
  add_global_flags(app, settings);

  std::function<asio::awaitable<int>(codex::client&)> command;
  auto* whoami = app.add_subcommand("whoami", "Show the project, permission and credential kind");
  whoami->callback([&] { command = [&](codex::client& api) { return cli::whoami(api, settings.json); }; });

  bool show = false;
  auto* token = app.add_subcommand("token", "Obtain an access token; print its scope and expiry");
  token->add_flag("--show", show, "Also print the token itself");
  token->callback([&] { command = [&](codex::client& api) { return cli::token(api, settings.json, show); }; });

  std::string id;
  auto* get = app.add_subcommand("get", "Show one document");
  get->add_option("id", id, "Document id")->required();
  get->callback([&] { command = [&](codex::client& api) { return cli::get(api, settings.json, id); }; });

  codex::list_options list_options;
  bool all = false;
  auto* list = app.add_subcommand("list", "List documents (one page, or --all)");
  list->add_option("--tag", list_options.tag, "Only documents with this tag");
  list->add_option("--limit", list_options.limit, "Page size, 1-1000")->check(CLI::Range(1, 1000));
  list->add_option("--cursor", list_options.cursor, "Start from this page cursor");
  list->add_flag("--all", all, "Follow every page");
  list->callback([&] { command = [&](codex::client& api) { return cli::list(api, settings.json, list_options, all); }; });

  std::string file;
  auto* put = app.add_subcommand("put", "Create a document from a JSON file (an \"id\" makes it an upsert)");
  put->add_option("file", file, "JSON file, or - for standard input")->required();
  put->callback([&] { command = [&](codex::client& api) { return cli::put(api, settings.json, file); }; });

  auto* remove = app.add_subcommand("delete", "Delete a document");
  remove->add_option("id", id, "Document id")->required();
  remove->callback([&] { command = [&](codex::client& api) { return cli::remove(api, settings.json, id); }; });

  cli::ingest_settings ingest;
  auto* ingest_command = app.add_subcommand("ingest", "Ingest a JSONL file (one document per line) in batches");
  ingest_command->add_option("file", ingest.input, "JSONL file, or - for standard input")->required();
  ingest_command->add_flag("--resume", ingest.resume, "Continue a job: skip lines the journal says are acknowledged");
  ingest_command->add_option("--rejects", ingest.rejects, "Write rejected lines, with the reason, to this JSONL file");
  ingest_command->add_option("--journal", ingest.journal, "Journal file (default: FILE.journal)");
  ingest_command->add_option("--job-id", ingest.job_id,
                             "Seed of the ids given to documents without one (default: derived from FILE's absolute "
                             "path, so that ingesting the same file again updates the same documents)");
  ingest_command->add_option("--batch", ingest.batch, "Items per batch, 1-1000")->check(CLI::Range(1, 1000))->capture_default_str();
  ingest_command->add_option("--in-flight", ingest.in_flight, "Batches in flight at once")->check(CLI::Range(1, 256))->capture_default_str();
  ingest_command->add_option("--retry-for", ingest.retry_for,
                             "Seconds a batch keeps trying while the service is unreachable, failing or rate limiting; "
                             "then the job stops (exit 7, 5 or 1) and --resume sends what is left")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  ingest_command->add_option("--shard", ingest.shard,
                             "I/N: take only the lines whose index (from 0) mod N is I; N workers with the same file "
                             "and the same key (and --limiter) ingest it exactly once, each with its own journal");
  ingest_command->callback([&] { command = [&](codex::client& api) { return cli::ingest(api, settings.json, ingest); }; });

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
