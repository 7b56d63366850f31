// The `codex` command and the `codex-emulator` binary end to end, both run as child
// processes (posix_spawn, no shell; stdout and stderr captured; every wait bounded):
// every command and its documented error exits, an ingest killed with SIGKILL three
// times and resumed, an ingest through injected faults with invalid documents and a
// rejects file, and the progress display in a pipe and in a real terminal (tmux).
// Every ingest is checked on the EMULATOR's contents (listed with the SDK), not on the
// tool's report. The binaries' paths come from meson (CODEX_BIN, CODEX_EMULATOR_BIN).

#include "child_process.hpp"
#include "command_run.hpp"
#include "emulator_documents.hpp"
#include "temp_dir.hpp"
#include "run_coroutine.hpp"

#include <codex/client.hpp>
#include <codex/json/decode.hpp>
#include <codex/net/url.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

using codex::test::binary;
using codex::test::check_error_exit;
using codex::test::check_no_secret;
using codex::test::child;
using codex::test::child_environment;
using codex::test::contains;
using codex::test::exit_code;
using codex::test::lines_of;
using codex::test::run;
using codex::test::run_codex;
using codex::test::run_result;

namespace {

// ---------------------------------------------------------------------------------
// Small text helpers.

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

/// The value of the first `"key":"…"` in a flat JSON text (\" and \\ unescaped), if any.
std::optional<std::string> json_string(std::string_view text, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const auto at = text.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::string out;
  for (auto i = at + needle.size(); i < text.size(); ++i) {
    if (text[i] == '"') return out;
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return std::nullopt;
}

/// The value of the first `"key":N` in a flat JSON text, if any.
std::optional<std::uint64_t> json_number(std::string_view text, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const auto at = text.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t n = 0;
  bool any = false;
  for (auto i = at + needle.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    any = true;
  }
  return any ? std::optional(n) : std::nullopt;
}

/// A fresh directory, removed at the end of the test.
struct temp_dir : codex::test::temp_dir {
  temp_dir() : codex::test::temp_dir("codex-cli") {}
};

/// A file descriptor opened for writing (a child's stdout or stderr), closed at the end.
struct output_file {
  explicit output_file(const fs::path& path) : fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
    REQUIRE(fd >= 0);
  }
  ~output_file() { ::close(fd); }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  int fd;
};

// ---------------------------------------------------------------------------------
// The emulator, as the `codex-emulator` binary.

class emulator_process {
 public:
  explicit emulator_process(const std::vector<std::string>& flags = {}) {
    state_ = dir_.path / "state";
    std::vector<std::string> argv = {binary("CODEX_EMULATOR_BIN"), "--port", "0", "--state-dir", state_.string(),
                                     "--threads", "2"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    output_file out(dir_.path / "emulator.out"), err(dir_.path / "emulator.err");
    process_ = std::make_unique<child>(argv, child_environment({}), out.fd, err.fd);

    // "codex-emulator listening on https://127.0.0.1:PORT/v1", then the state files exist.
    constexpr std::string_view banner = "codex-emulator listening on ";
    const auto deadline = steady_clock::now() + 30s;
    for (;;) {
      const std::string text = read_file(dir_.path / "emulator.out");
      if (const auto at = text.find(banner); at != std::string::npos && text.find('\n', at) != std::string::npos) {
        base_url_ = text.substr(at + banner.size(), text.find('\n', at) - at - banner.size());
        break;
      }
      INFO("codex-emulator's stderr: " << read_file(dir_.path / "emulator.err"));
      REQUIRE(process_->running());
      REQUIRE(steady_clock::now() < deadline);
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(base_url_.starts_with("https://127.0.0.1:"));
    REQUIRE(base_url_.ends_with("/v1"));
    const std::string credentials = read_file(credentials_file());
    for (auto [key, out] : {std::pair{"api_key", &api_key_}, {"read_only_api_key", &read_only_api_key_},
                            {"client_id", &client_id_}, {"client_secret", &client_secret_},
                            {"admin_token", &admin_token_}}) {
      auto value = json_string(credentials, key);
      INFO("credentials.json: " << key);
      REQUIRE(value.has_value());
      REQUIRE(!value->empty());
      *out = std::move(*value);
    }
    REQUIRE(fs::exists(ca_file()));
  }

  ~emulator_process() {
    process_->signal(SIGTERM);
    (void)process_->wait_for(10s);  // else the child's destructor kills it
  }

  const fs::path& dir() const noexcept { return dir_.path; }
  fs::path credentials_file() const { return state_ / "credentials.json"; }
  fs::path ca_file() const { return state_ / "ca.pem"; }
  const std::string& base_url() const noexcept { return base_url_; }
  const std::string& api_key() const noexcept { return api_key_; }
  const std::string& read_only_api_key() const noexcept { return read_only_api_key_; }
  const std::string& client_id() const noexcept { return client_id_; }
  const std::string& client_secret() const noexcept { return client_secret_; }

  /// Every secret the emulator made: none may ever appear in the tool's output.
  std::vector<std::string> secrets() const {
    return {api_key_, read_only_api_key_, client_secret_, admin_token_};
  }

  /// The environment of a `codex` run configured only by the credentials file.
  std::vector<std::string> codex_env(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> env = {"CODEX_CREDENTIALS_FILE=" + credentials_file().string()};
    env.insert(env.end(), extra.begin(), extra.end());
    return child_environment(env);
  }

  /// POST /_emulator/config with curl and the admin token.
  void configure(const std::string& json) { (void)control("config", json); }

  /// GET /_emulator/stats: the per-credential counters, as JSON.
  std::string stats() { return control("stats", std::nullopt); }

  /// A call of the control API with curl and the admin token; its body.
  std::string control(const std::string& what, const std::optional<std::string>& post) {
    const std::string origin = base_url_.substr(0, base_url_.size() - std::string_view("/v1").size());
    std::vector<std::string> argv = {"curl", "--silent", "--show-error", "--max-time", "20", "--cacert",
                                     ca_file().string(), "--header", "X-Emulator-Admin: " + admin_token_,
                                     "--write-out", "\n%{http_code}"};
    if (post) argv.insert(argv.end(), {"--header", "Content-Type: application/json", "--data-binary", *post});
    argv.push_back(origin + "/_emulator/" + what);
    const auto r = run(argv, child_environment({}), 30s);
    INFO("/_emulator/" << what << " " << post.value_or("") << "\n" << r);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.size() >= 4);
    REQUIRE(r.out.substr(r.out.size() - 4, 2) == "\n2");  // 200 or 201
    return r.out.substr(0, r.out.size() - 4);
  }

  /// Every document the emulator holds, listed over the API with the SDK (GET
  /// /documents?limit=1000, following next_cursor) — faults off, limit raised first.
  std::vector<codex::document> documents() {
    configure(R"({"faults":{"latency_ms":0,"p500":0,"p503":0,"p_drop":0,"p_truncate":0},)"
              R"("rate_limit":{"limit":1000000,"window":1,"burst":1000000}})");
    codex::config cfg;
    cfg.base_url = base_url_;
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(api_key_)};
    cfg.transport.tls.ca_file = ca_file().string();
    cfg.rate_limit = codex::limit::rate_limit{.limit = 100000, .period = 1s, .burst = 1};
    return codex::test::list_every_document(cfg, 120s);
  }

 private:
  temp_dir dir_;
  fs::path state_;
  std::unique_ptr<child> process_;
  std::string base_url_, api_key_, read_only_api_key_, client_id_, client_secret_, admin_token_;
};

/// The JSONL document of input line `line` (from 1); `invalid`: a title over 512 bytes.
std::string document_line(std::uint64_t line, bool invalid = false) {
  const std::string title = invalid ? std::string(600, 'x') : "line " + std::to_string(line);
  return R"({"title":")" + title + R"(","body":"document of line )" + std::to_string(line) +
         R"(","tags":["cli-test"]})";
}

fs::path write_jsonl(const fs::path& path, std::uint64_t lines, bool (*invalid)(std::uint64_t) = nullptr) {
  std::string text;
  text.reserve(lines * 80);
  for (std::uint64_t n = 1; n <= lines; ++n) {
    text += document_line(n, invalid != nullptr && invalid(n));
    text += '\n';
  }
  write_file(path, text);
  return path;
}

/// Checks that the emulator holds exactly the documents "line 1" … "line `count`" (but
/// the `invalid` ones), each once, with distinct ids.
void check_holds_exactly(const std::vector<codex::document>& docs, std::uint64_t count,
                         bool (*invalid)(std::uint64_t) = nullptr) {
  std::uint64_t expected = count;
  for (std::uint64_t n = 1; invalid != nullptr && n <= count; ++n) expected -= invalid(n) ? 1 : 0;
  CHECK(docs.size() == expected);
  std::set<std::string> ids;
  std::vector<int> seen(count + 1, 0);
  std::size_t duplicate_ids = 0, foreign = 0;
  for (const auto& d : docs) {
    if (!ids.insert(d.id).second) ++duplicate_ids;
    std::uint64_t n = 0;
    if (d.title.starts_with("line ")) n = std::strtoull(d.title.c_str() + 5, nullptr, 10);
    if (n >= 1 && n <= count && d.title == "line " + std::to_string(n)) {
      ++seen[n];
    } else {
      ++foreign;
    }
  }
  std::size_t missing = 0, duplicated = 0, first_missing = 0;
  for (std::uint64_t n = 1; n <= count; ++n) {
    if (invalid != nullptr && invalid(n)) continue;
    if (seen[n] == 0 && missing++ == 0) first_missing = n;
    if (seen[n] > 1) ++duplicated;
  }
  INFO("first missing line: " << first_missing);
  CHECK(duplicate_ids == 0);
  CHECK(foreign == 0);
  CHECK(missing == 0);
  CHECK(duplicated == 0);
}

}  // namespace

// ---------------------------------------------------------------------------------

TEST_CASE("cli: every command end to end, and the documented error exits", "[cli][commands][integration]") {
  emulator_process emu;
  const auto secrets = emu.secrets();
  const auto env = emu.codex_env();

  SECTION("whoami, in text and JSON, never shows a secret") {
    const auto text = run_codex({"whoami"}, env);
    INFO(text);
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "project:"));
    CHECK(contains(text.out, "permission: read_write"));
    CHECK(contains(text.out, "credential: api_key"));
    CHECK(contains(text.err, "codex: credentials from credentials file " + emu.credentials_file().string()));
    check_no_secret(text, secrets);

    for (const auto& args : {std::vector<std::string>{"--json", "whoami"}, {"whoami", "--json"}}) {
      const auto json = run_codex(args, env);
      INFO(args.front() << " " << args.back() << ": " << json);
      CHECK(json.exit_code == 0);
      CHECK(json.out.starts_with("{"));
      CHECK(lines_of(json.out).size() == 1);
      CHECK(json_string(json.out, "permission") == "read_write");
      CHECK(json_string(json.out, "credential_type") == "api_key");
      check_no_secret(json, secrets);
    }
  }

  SECTION("token prints its scope and expiry; the token itself only with --show") {
    const auto client_env = child_environment({"CODEX_CLIENT_ID=" + emu.client_id(),
                                               "CODEX_CLIENT_SECRET=" + emu.client_secret(),
                                               "CODEX_BASE_URL=" + emu.base_url(),
                                               "CODEX_CA_FILE=" + emu.ca_file().string()});
    const auto hidden = run_codex({"token"}, client_env);
    INFO(hidden);
    CHECK(hidden.exit_code == 0);
    CHECK(contains(hidden.out, "scope:"));
    CHECK(contains(hidden.out, "expires:"));
    CHECK(contains(hidden.err, "codex: credentials from environment"));
    CHECK_FALSE(contains(hidden.out, "eyJ"));  // no JWT
    CHECK_FALSE(contains(hidden.out, "token:"));
    check_no_secret(hidden, secrets);

    const auto shown = run_codex({"token", "--show"}, client_env);
    INFO(shown);
    CHECK(shown.exit_code == 0);
    CHECK(contains(shown.out, "scope:"));
    CHECK(contains(shown.out, "token:   eyJ"));
    check_no_secret(shown, secrets);  // the token, never the client secret

    const auto json = run_codex({"--json", "token"}, client_env);
    INFO(json);
    CHECK(json.exit_code == 0);
    CHECK(json_string(json.out, "scope").has_value());
    CHECK_FALSE(json_string(json.out, "access_token").has_value());
    check_no_secret(json, secrets);

    // With the API key of the credentials file: no client credentials → a usage error.
    check_error_exit(run_codex({"token"}, env), 2, secrets);
  }

  SECTION("put (create, then upsert by id), get, list, delete; get after delete → 4") {
    const auto doc_file = emu.dir() / "doc.json";
    write_file(doc_file, R"({"title":"first document","body":"hello from the cli test","tags":["cli"]})");
    const auto created = run_codex({"put", doc_file.string()}, env);
    INFO(created);
    REQUIRE(created.exit_code == 0);
    const std::string id = created.out.substr(0, created.out.find(' '));
    REQUIRE(id.starts_with("doc_"));
    CHECK(contains(created.out, id + "  v1  first document"));

    write_file(doc_file, R"({"id":")" + id + R"(","title":"first document, again","body":"upserted","tags":["cli"]})");
    const auto upserted = run_codex({"put", doc_file.string()}, env);
    INFO(upserted);
    CHECK(upserted.exit_code == 0);
    CHECK(contains(upserted.out, id + "  v2  first document, again"));

    const auto upserted_json = run_codex({"--json", "put", doc_file.string()}, env);
    INFO(upserted_json);
    CHECK(upserted_json.exit_code == 0);
    CHECK(json_string(upserted_json.out, "id") == id);
    CHECK(json_number(upserted_json.out, "version") == 3u);

    const auto got = run_codex({"get", id}, env);
    INFO(got);
    CHECK(got.exit_code == 0);
    CHECK(contains(got.out, "id:       " + id));
    CHECK(contains(got.out, "version:  3"));
    CHECK(contains(got.out, "title:    first document, again"));
    CHECK(contains(got.out, "upserted"));

    for (int i = 2; i <= 5; ++i) {
      write_file(doc_file, R"({"title":"document )" + std::to_string(i) + R"(","body":"b"})");
      const auto more = run_codex({"put", doc_file.string()}, env);
      INFO(more);
      REQUIRE(more.exit_code == 0);
    }
    // put - (standard input is /dev/null here): not a document → an error, no crash.
    const auto empty = run_codex({"put", "-"}, env);
    CHECK(empty.exit_code != 0);
    check_error_exit(empty, empty.exit_code, secrets);

    const auto page = run_codex({"list", "--limit", "2"}, env);
    INFO(page);
    CHECK(page.exit_code == 0);
    CHECK(lines_of(page.out).size() == 2);
    CHECK(contains(page.err, "codex: more: --cursor "));

    const auto all = run_codex({"list", "--all"}, env);
    INFO(all);
    CHECK(all.exit_code == 0);
    CHECK(lines_of(all.out).size() == 5);
    CHECK(contains(all.out, id + "  v3  first document, again"));

    const auto all_json = run_codex({"--json", "list", "--all"}, env);
    INFO(all_json);
    CHECK(all_json.exit_code == 0);
    const auto json_lines = lines_of(all_json.out);
    CHECK(json_lines.size() == 5);
    for (const auto& line : json_lines) CHECK(line.starts_with("{\"id\":\"doc_"));

    const auto removed = run_codex({"delete", id}, env);
    INFO(removed);
    CHECK(removed.exit_code == 0);
    CHECK(contains(removed.out, "deleted " + id));

    const auto gone = run_codex({"get", id}, env);
    check_error_exit(gone, 4, secrets);
    check_error_exit(run_codex({"delete", id}, env), 4, secrets);
    CHECK(lines_of(run_codex({"list", "--all"}, env).out).size() == 4);
  }

  SECTION("usage errors → 2") {
    check_error_exit(run_codex({"frobnicate"}, env), 2, secrets);
    check_error_exit(run_codex({}, env), 2, secrets);
    check_error_exit(run_codex({"list", "--limit", "0"}, env), 2, secrets);
    check_error_exit(run_codex({"get"}, env), 2, secrets);
    check_error_exit(run_codex({"put", (emu.dir() / "no-such-file.json").string()}, env), 2, secrets);
    const auto help = run_codex({"--help"}, env);
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "Exit codes:"));
  }

  SECTION("a key the service does not know → 3, and the key is not echoed") {
    const std::string wrong = "cdx_0000000000000000000000000000000000000000";
    auto with_wrong = secrets;
    with_wrong.push_back(wrong);
    // The key from the flag; the base URL and CA still from the credentials file.
    check_error_exit(run_codex({"--api-key", wrong, "whoami"}, env), 3, with_wrong);
    // The key from the environment.
    const auto wrong_env = child_environment({"CODEX_API_KEY=" + wrong, "CODEX_BASE_URL=" + emu.base_url(),
                                              "CODEX_CA_FILE=" + emu.ca_file().string()});
    check_error_exit(run_codex({"whoami"}, wrong_env), 3, with_wrong);
    check_error_exit(run_codex({"list"}, wrong_env), 3, with_wrong);
  }

  SECTION("a read-only key writing → 3") {
    const auto read_only = child_environment({"CODEX_API_KEY=" + emu.read_only_api_key(),
                                              "CODEX_BASE_URL=" + emu.base_url(),
                                              "CODEX_CA_FILE=" + emu.ca_file().string()});
    const auto who = run_codex({"whoami"}, read_only);
    INFO(who);
    CHECK(who.exit_code == 0);
    CHECK(contains(who.out, "permission: read\n"));
    check_no_secret(who, secrets);

    const auto doc_file = emu.dir() / "doc.json";
    write_file(doc_file, R"({"title":"not allowed","body":"b"})");
    check_error_exit(run_codex({"put", doc_file.string()}, read_only), 3, secrets);
    CHECK(run_codex({"list"}, read_only).exit_code == 0);  // reading is allowed
  }

  SECTION("an unreachable service → 7") {
    const auto unreachable = child_environment({"CODEX_API_KEY=" + emu.api_key(),
                                                "CODEX_BASE_URL=https://127.0.0.1:1/v1",
                                                "CODEX_CA_FILE=" + emu.ca_file().string()});
    const auto r = run_codex({"whoami"}, unreachable, 90s);
    check_error_exit(r, 7, secrets);
  }
}

namespace {
bool invalid_line(std::uint64_t line) { return line % 100 == 37; }

/// The positions of a rejects file's lines, each checked whole and carrying its line.
std::multiset<std::uint64_t> rejects_positions(const fs::path& path) {
  std::multiset<std::uint64_t> out;
  for (const auto& line : lines_of(read_file(path))) {
    INFO(line.substr(0, 200));
    REQUIRE(line.starts_with(R"({"position":)"));
    REQUIRE(line.ends_with("}"));
    const auto position = json_number(line, "position");
    REQUIRE(position.has_value());
    CHECK(json_string(line, "line") == document_line(*position, true));
    out.insert(*position);
  }
  return out;
}

std::multiset<std::uint64_t> invalid_lines(std::uint64_t count) {
  std::multiset<std::uint64_t> out;
  for (std::uint64_t n = 1; n <= count; ++n) {
    if (invalid_line(n)) out.insert(n);
  }
  return out;
}
}  // namespace

TEST_CASE("cli: ingest killed with SIGKILL three times and resumed — exactly 100,000 lines, each reject once",
          "[cli][crash][integration]") {
  // 100 batches of 1,000 at 1,000 batches per minute: 6 s of sending, at the least.
  emulator_process emu({"--rate-limit", "1000", "--rate-window", "60"});
  constexpr std::uint64_t count = 100000;
  const auto input = write_jsonl(emu.dir() / "crash.jsonl", count, invalid_line);
  const auto rejects = emu.dir() / "crash-rejects.jsonl";
  const auto env = emu.codex_env({"CODEX_RATE_LIMIT=1000/60s"});
  const std::vector<std::string> base = {binary("CODEX_BIN"), "ingest", input.string(), "--batch", "1000",
                                         "--in-flight", "4", "--rejects", rejects.string()};

  std::random_device entropy;
  const auto seed = entropy();
  std::mt19937 random(seed);
  // Three runs of at most 1.8 s each cannot finish 6 s of sending: every kill hits a live job.
  std::uniform_int_distribution<int> delay_ms(500, 1800);
  INFO("random seed " << seed);

  std::uint64_t held = 0;  // documents in the emulator after each killed run
  for (int kill = 0; kill < 3; ++kill) {
    auto argv = base;
    if (kill > 0) argv.push_back("--resume");
    output_file out(emu.dir() / ("run" + std::to_string(kill) + ".out"));
    output_file err(emu.dir() / ("run" + std::to_string(kill) + ".err"));
    child job(argv, env, out.fd, err.fd);
    const int delay = delay_ms(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    job.signal(SIGKILL);
    const auto status = job.wait_for(10s);
    INFO("run " << kill << " killed after " << delay << " ms; stderr: "
                << read_file(emu.dir() / ("run" + std::to_string(kill) + ".err")));
    REQUIRE(status.has_value());
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGKILL);
    // Each run got somewhere, and none finished: the kills hit running jobs.
    const auto now_held = json_number(emu.stats(), "documents");
    REQUIRE(now_held.has_value());
    INFO("documents held after run " << kill << ": " << *now_held);
    CHECK(*now_held > held);
    CHECK(*now_held < count);
    held = *now_held;
  }

  auto argv = base;
  argv.push_back("--resume");
  const auto final_run = run(argv, env, 120s);
  INFO(final_run);
  CHECK(final_run.exit_code == 6);  // finished, with rejected lines
  CHECK(contains(final_run.out, "already done"));  // the journal was used
  // Every invalid line once, whole, with its text — whatever the kills cut.
  const auto listed = rejects_positions(rejects);
  CHECK(listed == invalid_lines(count));

  // A finished job resumed again: nothing sent, nothing written twice, no made-up rate.
  const auto again = run(argv, env, 60s);
  INFO(again);
  CHECK(again.exit_code == 6);
  CHECK(contains(again.out, "already done       " + std::to_string(count)));
  CHECK_FALSE(contains(again.out, "rate-limit bound"));
  CHECK(rejects_positions(rejects) == listed);

  check_holds_exactly(emu.documents(), count, invalid_line);
}

TEST_CASE("cli: ingest through 500s, dropped and truncated responses, 1 % invalid, rejects fixed and re-ingested",
          "[cli][faults][integration]") {
  emulator_process emu({"--rate-limit", "100000", "--rate-window", "60"});
  constexpr std::uint64_t count = 5000;
  const auto input = write_jsonl(emu.dir() / "faults.jsonl", count, invalid_line);
  const auto rejects = emu.dir() / "rejects.jsonl";
  const auto env = emu.codex_env({"CODEX_RATE_LIMIT=200/1s"});
  emu.configure(R"({"faults":{"p500":0.2,"p_drop":0.1,"p_truncate":0.1}})");

  const auto first = run_codex({"--json", "ingest", input.string(), "--batch", "100", "--in-flight", "4", "--rejects",
                            rejects.string()},
                           env, 150s);
  INFO(first);
  CHECK(first.exit_code == 6);
  const auto accepted = json_number(first.out, "accepted");
  const auto rejected = json_number(first.out, "rejected");
  REQUIRE(accepted.has_value());
  REQUIRE(rejected.has_value());
  CHECK(*accepted + *rejected == count);
  CHECK(*rejected == count / 100);
  const auto batches = json_number(first.out, "batches");
  REQUIRE(batches.has_value());
  // The faults were met: dropped and truncated answers came after authentication, so
  // the emulator counted more requests than the batches (injected 500s come before it).
  const std::string stats = emu.stats();
  INFO("stats: " << stats);
  CHECK(json_number(stats, "requests").value_or(0) > *batches);

  // The rejects file: exactly the invalid lines, each with its original text.
  std::set<std::uint64_t> expected, listed;
  for (std::uint64_t n = 1; n <= count; ++n) {
    if (invalid_line(n)) expected.insert(n);
  }
  std::string fixed;
  const auto reject_lines = lines_of(read_file(rejects));
  CHECK(reject_lines.size() == expected.size());
  for (const auto& line : reject_lines) {
    INFO(line.substr(0, 300));
    const auto position = json_number(line, "position");
    const auto original = json_string(line, "line");
    REQUIRE(position.has_value());
    REQUIRE(original.has_value());
    CHECK(listed.insert(*position).second);
    CHECK(*original == document_line(*position, true));
    CHECK(json_number(line, "status") == 422u);
    // Fixed: the title rewritten short, the line otherwise kept.
    std::string repaired = *original;
    const std::string long_title(600, 'x');
    const auto at = repaired.find(long_title);
    REQUIRE(at != std::string::npos);
    repaired.replace(at, long_title.size(), "line " + std::to_string(*position));
    fixed += repaired + "\n";
  }
  CHECK(listed == expected);

  const auto fixed_file = emu.dir() / "fixed.jsonl";
  write_file(fixed_file, fixed);
  const auto second = run_codex({"ingest", fixed_file.string(), "--batch", "10", "--rejects",
                             (emu.dir() / "rejects-2.jsonl").string()},
                            env, 120s);
  INFO(second);
  CHECK(second.exit_code == 0);
  CHECK(contains(second.out, "accepted           " + std::to_string(expected.size()) + "\n"));

  check_holds_exactly(emu.documents(), count);
}

namespace {

/// Starts `codex ingest` in the background with its output in files of `dir`.
struct background_ingest {
  background_ingest(const fs::path& dir, const std::string& name, const std::vector<std::string>& args,
                    const std::vector<std::string>& env)
      : out(dir / (name + ".out")), err(dir / (name + ".err")), out_path(dir / (name + ".out")),
        err_path(dir / (name + ".err")) {
    std::vector<std::string> argv = {binary("CODEX_BIN"), "ingest"};
    argv.insert(argv.end(), args.begin(), args.end());
    job = std::make_unique<child>(argv, env, out.fd, err.fd);
  }
  std::string stdout_text() const { return read_file(out_path); }
  std::string stderr_text() const { return read_file(err_path); }

  output_file out, err;
  fs::path out_path, err_path;
  std::unique_ptr<child> job;
};

/// Waits (bounded) until the emulator holds at least `documents` documents.
void wait_for_documents(emulator_process& emu, std::uint64_t documents, std::chrono::seconds limit = 30s) {
  const auto deadline = steady_clock::now() + limit;
  while (json_number(emu.stats(), "documents").value_or(0) < documents) {
    REQUIRE(steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace

TEST_CASE("cli: ingest stops on what is not the lines' fault — exit 3/5/7/8, an empty rejects file, exact on resume",
          "[cli][ingest-failures][integration]") {
  emulator_process emu({"--rate-limit", "100000", "--rate-window", "60"});
  constexpr std::uint64_t count = 2000;
  const auto input = write_jsonl(emu.dir() / "stops.jsonl", count);
  const auto rejects = emu.dir() / "stops-rejects.jsonl";
  const std::vector<std::string> job = {input.string(), "--batch", "100", "--rejects", rejects.string()};
  const auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::vector<std::string> ingest_job = with({"ingest"}, job);
  const auto resume_and_check = [&](const std::vector<std::string>& env) {
    const auto resumed = run_codex(with(ingest_job, {"--resume"}), env, 60s);
    INFO(resumed);
    CHECK(resumed.exit_code == 0);
    check_holds_exactly(emu.documents(), count);
    CHECK(read_file(rejects).empty());
  };

  SECTION("a key revoked mid-job → 3; nothing rejected; --resume with the new key completes exactly") {
    const auto project = json_string(read_file(emu.credentials_file()), "project_id");
    REQUIRE(project);
    const auto created = emu.control("keys", R"({"project_id":")" + *project + R"(","type":"api_key"})");
    const auto key_id = json_string(created, "id");
    const auto key = json_string(created, "api_key");
    REQUIRE(key_id);
    REQUIRE(key);
    const auto env_with = [&](const std::string& api_key) {
      return child_environment({"CODEX_API_KEY=" + api_key, "CODEX_BASE_URL=" + emu.base_url(),
                                "CODEX_CA_FILE=" + emu.ca_file().string(), "CODEX_RATE_LIMIT=20/1s"});
    };
    background_ingest running(emu.dir(), "revoked", job, env_with(*key));
    wait_for_documents(emu, 300);
    const auto regenerated = emu.control("keys/" + *key_id + "/regenerate", "{}");
    const auto new_key = json_string(regenerated, "api_key");
    REQUIRE(new_key);
    const auto status = running.job->wait_for(30s);
    INFO("stdout: " << running.stdout_text() << "\nstderr: " << running.stderr_text());
    REQUIRE(status.has_value());
    CHECK(exit_code(*status) == 3);
    CHECK(read_file(rejects).empty());  // a revoked key is not the lines' fault
    CHECK(contains(running.stdout_text(), "not delivered"));
    CHECK(contains(running.stderr_text(), "--resume"));
    CHECK_FALSE(contains(running.stdout_text() + running.stderr_text(), *key));
    resume_and_check(env_with(*new_key));
  }

  SECTION("the service unreachable → 7 within --retry-for; nothing rejected; --resume once it is back") {
    const auto down = child_environment({"CODEX_API_KEY=" + emu.api_key(), "CODEX_BASE_URL=https://127.0.0.1:1/v1",
                                         "CODEX_CA_FILE=" + emu.ca_file().string()});
    const auto started = steady_clock::now();
    const auto r = run_codex(with(ingest_job, {"--retry-for", "2"}), down, 60s);
    INFO(r);
    CHECK(r.exit_code == 7);
    CHECK(steady_clock::now() - started < 30s);  // a hang check
    CHECK(read_file(rejects).empty());
    CHECK(contains(r.out, "not delivered"));
    resume_and_check(emu.codex_env());
  }

  SECTION("a Retry-After of a day → 5 at once, never slept") {
    emu.configure(R"({"rate_limit":{"limit":1,"window":86400}})");
    const auto started = steady_clock::now();
    const auto r = run_codex(with(ingest_job, {"--in-flight", "1"}), emu.codex_env(), 60s);
    INFO(r);
    CHECK(r.exit_code == 5);
    CHECK(steady_clock::now() - started < 30s);
    CHECK(read_file(rejects).empty());
    emu.configure(R"({"rate_limit":{"limit":100000,"window":60}})");
    resume_and_check(emu.codex_env());
  }

  SECTION("a second ingest of the same job → 8 at once; the first goes on untouched") {
    const auto env = emu.codex_env({"CODEX_RATE_LIMIT=20/1s"});
    background_ingest first(emu.dir(), "first", job, env);
    wait_for_documents(emu, 200);
    const auto journal_before = read_file(input.string() + ".journal");
    for (const bool resume : {false, true}) {
      const auto second = run_codex(resume ? with(ingest_job, {"--resume"}) : ingest_job, env, 20s);
      INFO(second);
      CHECK(second.exit_code == 8);
      CHECK(contains(second.err, "another codex process is running this job"));
    }
    CHECK(read_file(input.string() + ".journal").starts_with(journal_before));  // not truncated
    const auto status = first.job->wait_for(60s);
    INFO("first: " << first.stdout_text() << first.stderr_text());
    REQUIRE(status.has_value());
    CHECK(exit_code(*status) == 0);
    check_holds_exactly(emu.documents(), count);
  }

  SECTION("SIGTERM while the job waits out a 30 s Retry-After → 143 within moments, the report printed") {
    emu.configure(R"({"rate_limit":{"limit":1,"window":30}})");
    background_ingest waiting(emu.dir(), "waiting", with(job, {"--in-flight", "1"}), emu.codex_env());
    wait_for_documents(emu, 100);
    std::this_thread::sleep_for(300ms);  // into the wait
    const auto signalled = steady_clock::now();
    waiting.job->signal(SIGTERM);
    const auto status = waiting.job->wait_for(10s);
    INFO("stdout: " << waiting.stdout_text() << "\nstderr: " << waiting.stderr_text());
    REQUIRE(status.has_value());
    CHECK(steady_clock::now() - signalled < 3s);  // a hang check: the wait was 30 s
    CHECK(exit_code(*status) == 143);
    CHECK(contains(waiting.stdout_text(), "ingest report"));
    CHECK(contains(waiting.stderr_text(), "run again with --resume"));
    emu.configure(R"({"rate_limit":{"limit":100000,"window":60}})");
    resume_and_check(emu.codex_env());
  }

  SECTION("Ctrl-C twice ends the process at once, and --resume still completes exactly") {
    emu.configure(R"({"faults":{"latency_ms":3000}})");
    background_ingest slow(emu.dir(), "slow", job, emu.codex_env());
    std::this_thread::sleep_for(500ms);
    slow.job->signal(SIGINT);
    slow.job->signal(SIGINT);
    const auto status = slow.job->wait_for(10s);
    INFO("stderr: " << slow.stderr_text());
    REQUIRE(status.has_value());
    CHECK(exit_code(*status) == 130);
    emu.configure(R"({"faults":{"latency_ms":0}})");
    resume_and_check(emu.codex_env());
  }
}

TEST_CASE("cli: a lost journal never duplicates; CRLF input; lines that are not UTF-8 kept byte for byte",
          "[cli][ingest-failures][integration]") {
  emulator_process emu({"--rate-limit", "100000", "--rate-window", "60"});
  constexpr std::uint64_t count = 3000;
  const auto input = write_jsonl(emu.dir() / "lost.jsonl", count);
  const auto journal = input.string() + ".journal";

  SECTION("a journal cut below its header (or emptied) → a warning, every line again as upserts: no duplicate") {
    const auto env = emu.codex_env({"CODEX_RATE_LIMIT=20/1s"});
    background_ingest first(emu.dir(), "lost", {input.string(), "--batch", "100"}, env);
    wait_for_documents(emu, 500);
    first.job->signal(SIGKILL);
    REQUIRE(first.job->wait_for(10s).has_value());
    const bool emptied = GENERATE(true, false);
    write_file(journal, emptied ? std::string() : read_file(journal).substr(0, 5));
    const auto resumed = run_codex({"ingest", input.string(), "--batch", "1000", "--resume"}, emu.codex_env(), 60s);
    INFO(resumed);
    CHECK(resumed.exit_code == 0);
    CHECK(contains(resumed.err, "journal " + journal));
    CHECK(contains(resumed.err, "none is stored twice"));
    check_holds_exactly(emu.documents(), count);
  }

  SECTION("standard input with its journal lost → refused, naming the file and the way forward") {
    const auto stdin_journal = (emu.dir() / "stdin.journal").string();
    write_file(stdin_journal, "");
    const auto r = run(std::vector<std::string>{"sh", "-c", "\"$0\" ingest - --journal \"$1\" --resume < \"$2\"",
                                                binary("CODEX_BIN"), stdin_journal, input.string()},
                       emu.codex_env(), 30s);
    INFO(r);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, stdin_journal));
    CHECK(contains(r.err, "--job-id"));
    CHECK(emu.documents().empty());
  }

  SECTION("CRLF lines, a blank CRLF line, and a line that is not UTF-8") {
    const std::string bad_utf8 = std::string(R"({"title":"caf)") + "\xe9" + R"("})";
    std::string text = document_line(1) + "\r\n" + "\r\n" + "  \t\r\n" + bad_utf8 + "\r\n" + document_line(5) + "\r\n";
    const auto crlf = emu.dir() / "crlf.jsonl";
    write_file(crlf, text);
    const auto rejects = emu.dir() / "crlf-rejects.jsonl";
    const auto r = run_codex({"--json", "ingest", crlf.string(), "--rejects", rejects.string()}, emu.codex_env(), 30s);
    INFO(r);
    CHECK(r.exit_code == 6);
    CHECK(json_number(r.out, "accepted") == 2u);
    CHECK(json_number(r.out, "rejected") == 1u);  // the blank lines are skipped, not "invalid_json"
    const auto lines = lines_of(read_file(rejects));
    REQUIRE(lines.size() == 1);
    CHECK(json_number(lines[0], "position") == 4u);
    CHECK(json_string(lines[0], "error") == "invalid_json");
    // base64 of the original bytes (the CR is the line's end, not part of it)
    const auto encoded = json_string(lines[0], "line_base64");
    REQUIRE(encoded);
    CHECK(*encoded == "eyJ0aXRsZSI6ImNhZukifQ==");
  }
}

TEST_CASE("cli: ingest progress as plain lines in a pipe", "[cli][pipe][integration]") {
  emulator_process emu({"--rate-limit", "100000", "--rate-window", "60"});
  // 70 batches of 100 at 10 batches per second: 7 s, so the 5-s line must appear.
  constexpr std::uint64_t count = 7000;
  const auto input = write_jsonl(emu.dir() / "pipe.jsonl", count);
  const auto r = run_codex({"ingest", input.string(), "--batch", "100"}, emu.codex_env({"CODEX_RATE_LIMIT=10/1s"}), 90s);
  INFO(r);
  CHECK(r.exit_code == 0);
  CHECK(r.seconds >= 6);
  std::size_t progress_lines = 0;
  for (const auto& line : lines_of(r.err)) progress_lines += line.starts_with("progress: ") ? 1 : 0;
  CHECK(progress_lines >= 2);
  CHECK(contains(r.err, "progress: "));
  CHECK(contains(r.err, "elapsed 0:05"));
  CHECK(contains(r.err, "progress: 7000 done of ~7000"));
  CHECK_FALSE(contains(r.out + r.err, "\r"));
  CHECK_FALSE(contains(r.out + r.err, "\x1b["));
  CHECK_FALSE(contains(r.out, "progress:"));
  CHECK(contains(r.out, "ingest report"));
  check_holds_exactly(emu.documents(), count);
}

namespace {

/// A tmux server of our own (its socket in `dir`), killed at the end whatever happens.
class tmux_server {
 public:
  explicit tmux_server(const fs::path& dir)
      : socket_((dir / "tmux.sock").string()), session_("codex-test-" + std::to_string(::getpid())) {}
  ~tmux_server() {
    (void)run({"tmux", "-S", socket_, "kill-session", "-t", session_}, environment(), 10s);
    (void)run({"tmux", "-S", socket_, "kill-server"}, environment(), 10s);
  }
  tmux_server(const tmux_server&) = delete;
  tmux_server& operator=(const tmux_server&) = delete;

  const std::string& session() const noexcept { return session_; }

  /// tmux SUBCOMMAND ARGS… on our socket.
  run_result command(std::vector<std::string> args, const std::vector<std::string>& extra_env = {}) const {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    return run(args, environment(extra_env), 20s);
  }

  std::string capture() const {
    const auto r = command({"capture-pane", "-p", "-t", session_});
    return r.exit_code == 0 ? r.out : std::string();
  }

 private:
  static std::vector<std::string> environment(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> env = extra;
    if (std::getenv("TERM") == nullptr) env.emplace_back("TERM=xterm-256color");
    return child_environment(env);
  }

  std::string socket_;
  std::string session_;
};

/// The line of a pane that holds the progress bar, if any.
std::optional<std::string> bar_line(const std::string& pane) {
  for (const auto& line : lines_of(pane)) {
    if (contains(line, "[#") && contains(line, "%") && contains(line, "/s") && contains(line, "ETA")) return line;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("cli: ingest progress bar in a real terminal (tmux); Ctrl-C stops cleanly and --resume completes",
          "[cli][tty][integration]") {
  emulator_process emu({"--rate-limit", "100000", "--rate-window", "60"});
  constexpr std::uint64_t count = 20000;
  const auto input = write_jsonl(emu.dir() / "tty.jsonl", count);

  tmux_server tmux(emu.dir());
  // A fixed script; the paths are its positional arguments, never part of its text. The
  // shell traps Ctrl-C (so that it survives it and codex gets the default disposition),
  // says how codex exited, and keeps the pane 30 s — the session ends by itself even if
  // this test is killed.
  const std::string script = R"(trap : INT; "$0" "$@"; echo "codex exited with status $?"; exec sleep 30)";
  const auto started = tmux.command(
      {"new-session", "-d", "-s", tmux.session(), "-x", "200", "-y", "50", "-e",
       "CODEX_CREDENTIALS_FILE=" + emu.credentials_file().string(), "-e", "CODEX_RATE_LIMIT=10/1s", "sh", "-c",
       script, binary("CODEX_BIN"), "ingest", input.string(), "--batch", "100"},
      {"CODEX_CREDENTIALS_FILE=" + emu.credentials_file().string(), "CODEX_RATE_LIMIT=10/1s"});
  INFO(started);
  REQUIRE(started.exit_code == 0);

  // The bar, redrawn: at least two different bars seen within 20 s.
  std::set<std::string> bars;
  std::string pane;
  const auto deadline = steady_clock::now() + 20s;
  while (bars.size() < 2 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(300ms);
    pane = tmux.capture();
    if (auto bar = bar_line(pane)) bars.insert(*bar);
  }
  INFO("last pane:\n" << pane);
  REQUIRE(bars.size() >= 2);
  for (const auto& bar : bars) {
    INFO(bar);
    CHECK(contains(bar, "ETA "));
    CHECK(contains(bar, "rejected 0"));
    CHECK(contains(bar, "429s 0"));
  }

  // Ctrl-C: the job stops, prints its report and how to continue.
  REQUIRE(tmux.command({"send-keys", "-t", tmux.session(), "C-c"}).exit_code == 0);
  bool stopped = false;
  const auto stop_deadline = steady_clock::now() + 30s;
  while (!stopped && steady_clock::now() < stop_deadline) {
    std::this_thread::sleep_for(300ms);
    pane = tmux.capture();
    stopped = contains(pane, "codex exited with status");
  }
  INFO("pane after Ctrl-C:\n" << pane);
  REQUIRE(stopped);
  CHECK(contains(pane, "codex exited with status 130"));
  CHECK(contains(pane, "ingest report"));
  CHECK(contains(pane, "run again with --resume"));
  CHECK(contains(pane, "codex: interrupted at line "));
  CHECK_FALSE(contains(pane, "accepted           20000"));  // stopped early

  // --resume (in a pipe, faster) completes the set.
  const auto resumed = run_codex({"ingest", input.string(), "--batch", "100", "--resume"},
                             emu.codex_env({"CODEX_RATE_LIMIT=200/1s"}), 90s);
  INFO(resumed);
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.out, "already done"));
  check_holds_exactly(emu.documents(), count);
}
