// What the `codex` command prints, run as a child process: text from a server or an
// input file never reaches the terminal with a raw control character (window title,
// screen clear, CSI), in human and --json output, on stdout and stderr; usage errors
// never echo an argument that may be a secret; --rate-limit says what it expects; a
// credential that would break its header line is refused before anything is sent;
// `list --all` against a server that leads it round in a circle ends, with an error.
// The binary's path comes from meson (CODEX_BIN).

#include "command_run.hpp"
#include "emulator/emulator.hpp"
#include "scripted_listing.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include <codex/json/decode.hpp>
#include <codex/net/http_message.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;
using codex::test::check_error_exit;
using codex::test::child_environment;
using codex::test::contains;
using codex::test::lines_of;
using codex::test::run_codex;
using codex::test::run_result;

namespace {

// A title with an OSC window title, an ED screen clear, a C1 CSI, DEL and a line break.
constexpr std::string_view hostile_title = "A\x1b]0;pwned\x07 B\x1b[2J C\xc2\x9b" "31m D\x7f E\nF";
constexpr std::string_view hostile_title_json = R"(A\u001b]0;pwned\u0007 B\u001b[2J C\u009b31m D\u007f E\nF)";
// How printable() shows it: on one line, every control escaped.
constexpr std::string_view hostile_title_shown = R"(A\u001b]0;pwned\u0007 B\u001b[2J C\u009b31m D\u007f E\u000aF)";

/// The first byte of `text` that a terminal would act on — a control other than the
/// newline that ends each line, DEL, or the start of a C1 control — described, if any.
std::optional<std::string> raw_control_in(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const bool c1 = byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if ((byte < 0x20 && byte != '\n') || byte == 0x7F || c1)
      return "byte " + std::to_string(byte) + " at offset " + std::to_string(i);
  }
  return std::nullopt;
}

void check_no_raw_control(const run_result& r) {
  INFO(r);
  CHECK(raw_control_in(r.out) == std::nullopt);
  CHECK(raw_control_in(r.err) == std::nullopt);
}

/// A body as the SDK's decoders want it: with simdjson's padding past its end.
std::string padded(std::string_view text) {
  std::string out;
  out.reserve(text.size() + codex::net::body_padding);
  out.assign(text);
  return out;
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

/// The emulator in-process, its state files in a temporary directory.
struct emulator_with_files {
  emulator_with_files() : emulator(codex::emulator::emulator_options{.state_dir = dir.path / "state"}) {
    emulator.start();
  }
  /// The environment of a `codex` run configured only by the credentials file.
  std::vector<std::string> codex_env() const {
    return child_environment({"CODEX_CREDENTIALS_FILE=" + emulator.credentials_file().string()});
  }
  codex::test::temp_dir dir{"codex-cli-output"};
  codex::emulator::emulator emulator;
};

codex::emulator::response_plan json_response(int status, std::string body) {
  codex::emulator::response_plan plan;
  plan.status = status;
  plan.headers.add("Content-Type", "application/json");
  plan.headers.add("X-Request-Id", "req_hostile");
  plan.body = std::move(body);
  return plan;
}

const std::string api_key = "cdx_0123456789abcdef0123456789abcdef01234567";
const std::string client_secret = "cs_00112233445566778899aabbccddeeff0011223344556677";
const std::string jwt =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjaWRfMSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXBhcnQ";

}  // namespace

TEST_CASE("cli output: a hostile title, tags and body are escaped by put, get and list, in text and JSON",
          "[cli][output][integration]") {
  emulator_with_files emu;
  const auto env = emu.codex_env();
  const auto input = emu.dir.path / "hostile.json";
  write_file(input, std::string(R"({"title":")") + std::string(hostile_title_json) +
                        R"(","body":"body \u001b[2J\u009b\r\nend","tags":["t\u001b[1m","plain"]})");

  const auto created = run_codex({"--json", "put", input.string()}, env);
  INFO(created);
  REQUIRE(created.exit_code == 0);
  check_no_raw_control(created);
  auto doc = codex::json::decode_document(padded(lines_of(created.out).at(0)));
  REQUIRE(doc);
  CHECK(doc->title == hostile_title);  // --json keeps the very same string
  const std::string id = doc->id;

  SECTION("get: every field on its own line, escaped") {
    const auto shown = run_codex({"get", id}, env);
    INFO(shown);
    REQUIRE(shown.exit_code == 0);
    check_no_raw_control(shown);
    CHECK(contains(shown.out, "title:    " + std::string(hostile_title_shown) + "\n"));
    CHECK(contains(shown.out, R"(t\u001b[1m plain)"));
    CHECK(contains(shown.out, R"(body \u001b[2J\u009b\u000d\u000aend)"));
  }
  SECTION("list and list --all: one line per document, escaped") {
    for (const auto& args : {std::vector<std::string>{"list"}, std::vector<std::string>{"list", "--all"}}) {
      const auto listed = run_codex(args, env);
      INFO(listed);
      REQUIRE(listed.exit_code == 0);
      check_no_raw_control(listed);
      CHECK(contains(listed.out, id + "  v1  " + std::string(hostile_title_shown) + "\n"));
    }
  }
  SECTION("put in text form: the created document's line, escaped") {
    const auto again = run_codex({"put", input.string()}, env);
    INFO(again);
    REQUIRE(again.exit_code == 0);
    check_no_raw_control(again);
    CHECK(contains(again.out, std::string(hostile_title_shown)));
  }
  SECTION("--json get and --json list: valid JSON that parses back to the same strings") {
    const auto got = run_codex({"--json", "get", id}, env);
    const auto listed = run_codex({"--json", "list"}, env);
    for (const auto* r : {&got, &listed}) {
      INFO(*r);
      REQUIRE(r->exit_code == 0);
      check_no_raw_control(*r);
      CHECK(contains(r->out, R"(\u009b)"));
      const auto lines = lines_of(r->out);
      REQUIRE(lines.size() == 1);
      auto back = codex::json::decode_document(padded(lines[0]));
      REQUIRE(back);
      CHECK(back->title == hostile_title);
      CHECK(back->body == "body \x1b[2J\xc2\x9b\r\nend");
      CHECK(back->tags == std::vector<std::string>{"t\x1b[1m", "plain"});
    }
  }
}

TEST_CASE("cli output: the server's error code and message and account fields are escaped on every line",
          "[cli][output][integration]") {
  std::atomic<int> requests{0};
  std::atomic<int> injected{0};
  codex::test::test_server server{[&](codex::net::codec::server_request& request, const codex::emulator::request_context&) {
    ++requests;
    if (request.headers.contains("X-Injected")) ++injected;
    if (request.target == "/v1/account") {
      return json_response(200, R"({"project":{"id":"prj_\u001b[2J","name":"\u001b]0;pwned\u0007","permission":"read\u009b"},)"
                                R"("credential":{"type":"api_key\u007f","id":"key_1","prefix":"cdx_0123"},"scopes":["read\u001b[5m"]})");
    }
    return json_response(404, R"({"status":404,"error":"not_found\u001b[2J","message":"gone \u001b]0;pwned\u0007 \u009b31m"})");
  }};
  const auto env = child_environment({});
  const std::vector<std::string> connect = {"--base-url", server.base_url() + "/v1", "--ca-file", server.ca_file()};
  auto with = [&](std::vector<std::string> args, const std::string& key = api_key) {
    std::vector<std::string> all = connect;
    if (!key.empty()) all.insert(all.end(), {"--api-key", key});
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };

  SECTION("a 404's code and message, in text and --json mode") {
    for (const auto& args : {with({"get", "doc_missing"}), with({"--json", "get", "doc_missing"})}) {
      const auto r = run_codex(args, env);
      check_error_exit(r, 4, {api_key});
      check_no_raw_control(r);
      INFO(r);
      CHECK(contains(r.err, R"([not_found\u001b[2J]: gone \u001b]0;pwned\u0007 \u009b31m)"));
    }
  }
  SECTION("whoami: account fields in text and JSON") {
    const auto text = run_codex(with({"whoami"}), env);
    const auto json = run_codex(with({"--json", "whoami"}), env);
    for (const auto* r : {&text, &json}) {
      INFO(*r);
      CHECK(r->exit_code == 0);
      check_no_raw_control(*r);
      CHECK(contains(r->out, R"(\u001b]0;pwned\u0007)"));
      CHECK(contains(r->out, R"(read\u009b)"));
    }
    CHECK(contains(json.out, R"("permission":"read\u009b")"));
  }
  SECTION("an API key holding CR LF: refused as a usage error, nothing sent, the key not shown") {
    const std::string broken = api_key + "\r\nX-Injected: 1";
    for (const auto& args : {with({"whoami"}, broken), with({"--access-token", broken, "whoami"}, "")}) {
      const auto r = run_codex(args, env);
      check_error_exit(r, 2, {api_key});
      check_no_raw_control(r);
      INFO(r);
      CHECK(contains(r.err, "control character"));
    }
    CHECK(requests == 0);
  }
  CHECK(injected == 0);
}

TEST_CASE("cli output: a usage error never shows an argument that may be a secret", "[cli][output][usage]") {
  const auto env = child_environment({"CODEX_API_KEY=" + api_key, "CODEX_BASE_URL=https://127.0.0.1:9/v1"});
  const std::string own_secret = "my-own-Secret-value";
  struct usage_case {
    std::vector<std::string> args;
    std::string shown;  // what the line says instead
  };
  const std::vector<usage_case> cases = {
      {{"whoami", api_key}, "<argument 2>"},
      {{"get", "doc_1", client_secret}, "<argument 3>"},
      {{"whoami", own_secret}, "<argument 2>"},
      {{"list", "--limit", jwt}, "--limit"},
      {{"--api-key=" + api_key, "whoami", own_secret}, "<argument 3>"},
      {{"whoami", "--client-secret"}, "--client-secret"},
      {{"--client-secret", client_secret, "whoami", "--bogus=" + own_secret}, "<argument 4>"},
      {{"whoami", "\x1b]0;pwned\x07"}, "<argument 2>"},
  };
  for (const auto& c : cases) {
    const auto r = run_codex(c.args, env);
    check_error_exit(r, 2, {api_key, client_secret, jwt, own_secret, "pwned"});
    check_no_raw_control(r);
    INFO(r);
    CHECK(contains(r.err, c.shown));
    CHECK(contains(r.err, "(see codex --help)"));
  }
  // What is not a secret still helps: option names and numbers are shown.
  const auto r = run_codex({"list", "--limit", "5000"}, env);
  check_error_exit(r, 2, {});
  INFO(r);
  CHECK(contains(r.err, "--limit"));
  CHECK(contains(r.err, "5000"));
}

TEST_CASE("cli output: --rate-limit foo says what is wrong and which form is expected", "[cli][output][usage]") {
  const auto env = child_environment({"CODEX_API_KEY=" + api_key, "CODEX_BASE_URL=https://127.0.0.1:9/v1"});
  for (const char* bad : {"foo", "1000/60x", "1000/60s,foo=1"}) {
    const auto r = run_codex({"--rate-limit", bad, "whoami"}, env);
    check_error_exit(r, 2, {api_key});
    INFO(r);
    CHECK(contains(r.err, "--rate-limit: "));
    CHECK(contains(r.err, "expected LIMIT/[N]UNIT[,burst=B]"));
    CHECK(contains(r.err, "1000/60s"));
  }
  CHECK(contains(run_codex({"--rate-limit", "foo", "whoami"}, env).err, "not a rate"));
  CHECK(contains(run_codex({"--rate-limit", "1000/60x", "whoami"}, env).err, "unit is missing or unknown"));
}

TEST_CASE("cli output: a file name from the command line is escaped in its error line", "[cli][output]") {
  const auto env = child_environment({"CODEX_API_KEY=" + api_key, "CODEX_BASE_URL=https://127.0.0.1:9/v1"});
  const auto r = run_codex({"put", "/nonexistent/\x1b[2J\xc2\x9b.json"}, env);
  check_error_exit(r, 2, {api_key});
  check_no_raw_control(r);
  INFO(r);
  CHECK(contains(r.err, R"(cannot read /nonexistent/\u001b[2J\u009b.json)"));
}

TEST_CASE("cli: list --all against a server that repeats a cursor prints each page once and fails",
          "[cli][pages][integration]") {
  using codex::test::scripted_page;
  codex::test::scripted_listing script{{{"", scripted_page{{"doc_a"}, "c2"}},
                                        {"c2", scripted_page{{"doc_b"}, "c3"}},
                                        {"c3", scripted_page{{"doc_c"}, "c2"}}}};
  codex::test::test_server server{script.handler()};
  const auto env = child_environment({});
  const auto r = run_codex({"--base-url", server.base_url() + "/v1", "--ca-file", server.ca_file(), "--api-key", api_key,
                            "--json", "list", "--all"},
                           env);
  check_error_exit(r, 1, {api_key});
  INFO(r);
  CHECK(contains(r.err, "cursor"));
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 3);
  CHECK(contains(lines[0], R"("id":"doc_a")"));
  CHECK(contains(lines[2], R"("id":"doc_c")"));
  CHECK(script.requests() == 3);
}
