#pragma once
// What the ingester's end-to-end tests share: the in-process emulator over real TLS
// with a high limit, input items (some invalid on purpose), and checks of what the
// emulator holds in the end — each position exactly once.

#include "emulator_documents.hpp"
#include "temp_dir.hpp"
#include <codex/client.hpp>
#include <codex/ingest/ingester.hpp>

#include "emulator/emulator.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace codex::test::ingest {

namespace fs = std::filesystem;
namespace emu = codex::emulator;
using namespace std::chrono_literals;


/// A fresh directory, removed at the end of the test.
struct temp_dir : codex::test::temp_dir {
  temp_dir() : codex::test::temp_dir("codex-ingest") {}
};

/// The emulator with a limit far above what the tests send (a batch is one request).
struct live_emulator {
  explicit live_emulator(emu::fault_options faults = {}, emu::field_limits limits = {})
      : server(emu::emulator_options{
            .state_dir = dir.path / "state",
            .threads = 2,
            .service = emu::service_options{
                .rate_limit = {.limit = 100000, .window = 1s}, .faults = faults, .limits = limits}}) {
    fs::create_directories(dir.path / "state");
    server.start();
  }

  codex::config client_config() const {
    codex::config cfg;
    cfg.base_url = server.base_url();
    cfg.credentials = codex::api_key_credentials{.key = codex::secret(server.credentials().api_key)};
    cfg.transport.tls.ca_file = server.ca_file().string();
    cfg.rate_limit = codex::limit::rate_limit{.limit = 50000, .period = 1s, .burst = 1};
    return cfg;
  }

  /// POST to the control API, straight to the service; the answer's body.
  std::string admin(std::string target, std::string json) {
    codex::net::codec::server_request request;
    request.method = codex::net::http_method::post;
    request.method_text = "POST";
    request.target = std::move(target);
    request.headers.add("X-Emulator-Admin", server.admin_token());
    request.body = std::move(json);
    request.body.reserve(request.body.size() + codex::net::body_padding);
    const auto plan = server.api().handle(request, emu::request_context{.remote_address = "127.0.0.1"});
    REQUIRE(plan.status / 100 == 2);
    return plan.body;
  }

  /// POST /_emulator/config.
  void configure(std::string json) { admin("/_emulator/config", std::move(json)); }

  /// Regenerates the seeded read-write key: the old one gets 401 at once. The new key.
  std::string regenerate_api_key() {
    return api_key_of(admin("/_emulator/keys/" + server.api().seeded().api_key_id + "/regenerate", "{}"));
  }

  /// A new read-write key of the seeded project (with a rate limiter of its own in
  /// the client process, which is per credential).
  std::string create_api_key() {
    return api_key_of(admin("/_emulator/keys",
                            R"({"project_id":")" + server.api().seeded().project_id + R"(","type":"api_key"})"));
  }

  static std::string api_key_of(const std::string& body) {
    const std::string field = R"("api_key":")";
    const auto at = body.find(field);
    REQUIRE(at != std::string::npos);
    const auto begin = at + field.size();
    return body.substr(begin, body.find('"', begin) - begin);
  }

  /// Every document of the seeded project, listed with limit 1000 (faults off first).
  std::vector<codex::document> documents() { return documents(client_config()); }

  /// The same, listed with `cfg` (e.g. a key regenerated since).
  std::vector<codex::document> documents(codex::config cfg) {
    configure(R"({"faults":{"latency_ms":0,"p500":0,"p503":0,"p_drop":0,"p_truncate":0}})");
    return codex::test::list_every_document(cfg, 60s);
  }

  std::uint64_t rate_limited_sent() {
    std::uint64_t n = 0;
    for (const auto& [id, counters] : server.api().stats()) n += counters.rate_limited;
    return n;
  }

  temp_dir dir;
  emu::emulator server;
};

/// Counts the attempts beyond the first of every call, and the ingester's re-sends show
/// up here too (each is a call of its own).
struct retry_counter final : codex::observer {
  void on_call(const codex::call_report& report) noexcept override { retries += report.retries.size(); }
  std::atomic<std::uint64_t> retries{0};
};

/// Item `position`: valid, or (when `invalid`) with a title over 512 bytes → per-item 422.
inline codex::ingest_item item(std::uint64_t position, bool invalid = false) {
  codex::ingest_item out{.position = position};
  out.document.title = invalid ? std::string(600, 't') : "doc " + std::to_string(position);
  out.document.body = "body of document " + std::to_string(position);
  out.document.tags = {"ingest-test"};
  out.document.metadata = {{"position", static_cast<std::int64_t>(position)}};
  out.original = R"({"title":"line )" + std::to_string(position) + R"("})";
  return out;
}

inline bool is_invalid(std::uint64_t position) { return position % 100 == 37; }

inline std::int64_t position_of(const codex::document& d) {
  for (const auto& [key, value] : d.metadata) {
    if (key == "position") return std::get<std::int64_t>(value);
  }
  return -1;
}

/// Checks that the emulator holds each of `expected` positions exactly once.
inline void check_exactly(const std::vector<codex::document>& docs, const std::set<std::uint64_t>& expected) {
  std::set<std::string> ids;
  std::map<std::int64_t, int> seen;
  for (const auto& d : docs) {
    CHECK(ids.insert(d.id).second);
    ++seen[position_of(d)];
  }
  CHECK(docs.size() == expected.size());
  std::size_t duplicates = 0, missing = 0;
  for (const auto& [p, n] : seen) duplicates += n > 1 ? 1 : 0;
  for (const auto p : expected) missing += seen.count(static_cast<std::int64_t>(p)) ? 0 : 1;
  CHECK(duplicates == 0);
  CHECK(missing == 0);
}

inline std::set<std::uint64_t> valid_positions(std::uint64_t begin, std::uint64_t end) {
  std::set<std::uint64_t> out;
  for (auto p = begin; p < end; ++p) {
    if (!is_invalid(p)) out.insert(p);
  }
  return out;
}


}  // namespace codex::test::ingest
