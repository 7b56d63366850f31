#pragma once
// Shared by the call-path integration tests: the emulator's API service behind a TLS
// server that journals every request, a join for many concurrent coroutines, and an
// observer that keeps everything the SDK reports.
//
// Why the service is mounted on a test_server rather than used through
// codex::emulator::emulator: the emulator object is exactly this service behind the
// same https_server, but its counters do not keep *when* each request arrived, which
// status it got, or which credential it carried — and the properties under test (no
// request before a Retry-After's time, not one 401, which token a retry carried) are
// about exactly that.

#include "emulator/service.hpp"
#include "json_pointer.hpp"
#include "run_coroutine.hpp"
#include "test_server.hpp"

#include <codex/client.hpp>
#include <codex/observer.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codex::test {

using steady_clock = std::chrono::steady_clock;

/// One request as the emulator saw it.
struct journal_entry {
  steady_clock::time_point arrived;
  steady_clock::time_point answered;  ///< when the emulator had planned its response
  std::chrono::system_clock::time_point arrived_wall;
  net::http_method method{};
  std::string path;        ///< the target without its query
  std::string credential;  ///< the Authorization or X-API-Key value as sent; empty for none
  std::string caller;      ///< the test's X-Caller header, if any
  int status = 0;
  std::string retry_after;  ///< the response's Retry-After, if any
  bool cut = false;         ///< the response was dropped or truncated on purpose
};

/// A credential created through the control API.
struct issued_credential {
  std::string id;      ///< key id or client id (what the emulator's stats are keyed by)
  std::string secret;  ///< the API key or the client secret
};

/// The emulator's API service over TLS on 127.0.0.1:0, with a request journal.
/// Thread-safety: every member may be called from any thread.
class live_emulator {
 public:
  explicit live_emulator(emulator::service_options options = {});

  /// "https://127.0.0.1:PORT/v1".
  std::string base_url() const { return server_.base_url() + "/v1"; }
  const std::string& ca_file() const noexcept { return server_.ca_file(); }
  const emulator::seed_credentials& seeded() const noexcept { return service_.seeded(); }
  /// The emulator's counters for one credential (zeros if it was never seen).
  emulator::credential_counters counters(const std::string& credential_id) const;
  /// Documents the emulator holds.
  std::size_t documents() const { return service_.document_count(); }
  /// The step knob's count since faults.fail_step was last configured (nullopt: never).
  std::optional<emulator::step_schedule> steps() const { return service_.step_faults()->snapshot(); }
  /// The TLS server's counters (open connections, handshakes, ...).
  emulator::server_stats server_stats() const { return server_.stats(); }

  /// POST /_emulator/config with this JSON (see apply_config_json); fails the test on error.
  void configure(std::string json);
  /// POST /_emulator/keys for the seeded read-write project.
  issued_credential create_api_key();
  issued_credential create_client();

  std::vector<journal_entry> journal() const;
  /// The journal's entries for one path, e.g. "/v1/auth/token".
  std::vector<journal_entry> journal_of(std::string_view path) const;

 private:
  emulator::response_plan admin(net::http_method method, std::string target, std::string body);
  emulator::response_plan answer(net::codec::server_request& request, const emulator::request_context& context);

  emulator::service service_;
  mutable std::mutex mutex_;
  std::vector<journal_entry> journal_;
  test_server server_;  // last: destroyed (stopped) first, before what its handler uses
};

/// A client configuration for `base_url` trusting `ca_file`. The client-side rate is
/// generous unless a test is about it: the contract's default (1,000/60 s, one request
/// per 60 ms) would make every test slow.
config client_config(std::string base_url, std::string ca_file, credentials creds,
                     std::string_view rate = "10000/1s");
config client_config(const live_emulator& emulator, credentials creds, std::string_view rate = "10000/1s");

credentials api_key(std::string_view key, api_key_scheme scheme = api_key_scheme::basic);
credentials client_credential(std::string_view id, std::string_view secret);
credentials access_token(std::string_view token);



/// A GET on the raw call path.
api_request get(std::string path);

/// What one call ended with (result<T> has no default constructor; slots of this do).
struct call_outcome {
  bool finished = false;
  bool ok = false;
  int status = 0;       ///< of the response, or of the error
  error_info error;     ///< when !ok
  std::string body;     ///< when ok
};
call_outcome outcome_of(result<net::http_response> result);
asio::awaitable<call_outcome> call(client& api, api_request request);

/// A call_report, copied out of the callback.
struct recorded_call {
  std::string method;
  std::string path;
  int attempts = 0;
  std::vector<retry_reason> retries;
  std::chrono::nanoseconds limiter_wait{};
  std::chrono::nanoseconds token_wait{};
  int token_refreshes = 0;
  int status = 0;
  std::error_code error;
  std::chrono::nanoseconds latency{};
  steady_clock::time_point ended;
};

/// Keeps every report and log line. Thread-safe.
class recording_observer final : public observer {
 public:
  void on_call(const call_report& report) noexcept override;
  void on_log(log_level level, std::string_view text) noexcept override;
  std::vector<recorded_call> calls() const;
  std::vector<std::string> logs() const;

 private:
  mutable std::mutex mutex_;
  std::vector<recorded_call> calls_;
  std::vector<std::string> logs_;
};


}  // namespace codex::test
