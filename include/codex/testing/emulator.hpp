#pragma once
// codex::testing::emulator — the Codex API emulator inside a user's own test: a real
// HTTPS server on 127.0.0.1, an ephemeral port, seeded credentials, faults on demand
// and counters to assert on. Linked from the codex-testing library (pkg-config
// `codex-testing`, CMake target `codex::testing`), never part of libcodex.

#include <codex/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace codex::testing {

/// Faults the emulator injects into `/v1` responses (never into its control routes,
/// `/_emulator/`, nor into `/.well-known/`). Each probability is in [0, 1] and drawn independently per request. The
/// default injects nothing.
struct fault_options {
  std::chrono::milliseconds latency{0};      ///< added before every response
  double p500 = 0;                           ///< answer 500 without doing the work
  double p503 = 0;                           ///< answer 503 (Retry-After: 1) without doing the work
  double p_drop = 0;                         ///< do the work, then reset the connection mid-response
  double p_truncate = 0;                     ///< do the work, then close the connection inside the body
  std::chrono::milliseconds token_delay{0};  ///< extra delay on POST /auth/token
  bool token_fail = false;                   ///< POST /auth/token answers 503
};

/// What the emulator does instead of the step that emulator::fail_step() names.
enum class step_failure {
  close,     ///< close the connection with a FIN (no TLS close_notify)
  reset,     ///< close it with an RST
  stall,     ///< stop: no read or write on it until the client leaves
  truncate,  ///< at a write: send its first half, then close with a FIN; at any other step: as close
};

/// A rate limit the emulator enforces: a token bucket of `burst` requests (0: `limit`),
/// refilled evenly with `limit` requests per `window`. Past it: 429 with Retry-After.
struct rate_limit_options {
  std::uint32_t limit = 1000;                                   ///< requests per window, ≥ 1
  std::chrono::milliseconds window = std::chrono::seconds(60);  ///< the window, > 0
  std::uint32_t burst = 0;                                      ///< bucket capacity; 0 means `limit`
};

/// How to start an emulator. Every field has the contract's default.
struct emulator_options {
  /// Per API key and per client credential. Default: the contract's 1,000 a minute.
  rate_limit_options rate_limit{};
  /// Per client address, for calls without credentials. Default: 100 a minute.
  rate_limit_options anonymous_rate_limit{.limit = 100};
  /// Lifetime of the access tokens it issues (`expires_in`).
  std::chrono::seconds token_ttl = std::chrono::seconds(3600);
  /// Faults from the first request on; see emulator::set_faults() to change them later.
  fault_options faults{};
  /// Server threads, ≥ 1.
  std::size_t threads = 1;
  /// Where `ca.pem` and `credentials.json` are written (created if missing, files mode
  /// 0600). Empty: a private temporary directory, removed by the destructor.
  std::filesystem::path state_dir;
};

/// Which of the emulator's seeded credentials a configuration uses.
enum class credential_kind {
  api_key,             ///< the read-write API key (HTTP Basic)
  read_only_api_key,   ///< the API key of a read-only project: writes get 403
  client_credentials,  ///< the client id and secret, exchanged for Bearer tokens
  anonymous,           ///< none: public documents only
};

/// The credentials the emulator created at start. Test values, not secrets.
struct seeded_credentials {
  std::string project_id;         ///< the read-write project (`prj_…`)
  std::string api_key;            ///< its API key (`cdx_…`)
  std::string read_only_api_key;  ///< the API key of a read-only project
  std::string client_id;          ///< a client credential of the read-write project (`cid_…`)
  std::string client_secret;      ///< its secret (`cs_…`)
};

/// What the emulator counted for one credential (GET /_emulator/stats).
struct counters {
  std::uint64_t requests = 0;              ///< /v1 requests that passed authentication, token requests included
  std::uint64_t ok = 0;                    ///< of which answered 2xx
  std::uint64_t rate_limited = 0;          ///< 429s sent
  std::uint64_t tokens_issued = 0;         ///< successful POST /auth/token
  std::uint64_t batch_items_accepted = 0;  ///< batch items stored

  /// Field by field.
  friend bool operator==(const counters&, const counters&) = default;
};

/// An emulator of the Codex API running in this process, on `127.0.0.1` and an
/// ephemeral port, from construction to destruction (or stop()).
///
/// ```cpp
/// codex::testing::emulator server;                 // started
/// codex::client api{io.get_executor(), server.config()};
/// server.set_faults({.p503 = 1});                  // every /v1 call now fails with 503
/// CHECK(server.counters_of(codex::testing::credential_kind::api_key).requests == 1);
/// ```
///
/// Thread-safety: construction, stop(), move and destruction from one thread; every
/// other member from any thread, concurrently. Each emulator has its own port, keys and
/// documents, so tests may run several side by side.
class emulator {
 public:
  /// Generates a CA and the server's certificate, seeds a project, two API keys and a
  /// client credential, binds `127.0.0.1:0`, starts the server threads and writes
  /// `ca.pem` and `credentials.json`. Returns once it accepts connections.
  /// Errors: throws std::system_error when it cannot bind or write the state files,
  /// std::runtime_error when OpenSSL cannot make the keys or certificates, and
  /// std::invalid_argument for a rate limit of 0 requests or a window of 0.
  explicit emulator(emulator_options options = {});
  /// stop()s, then removes the temporary state directory (when it made one).
  ~emulator();
  /// Takes over `other`'s server; `other` is then empty (only destruction is valid).
  emulator(emulator&& other) noexcept;
  /// Stops this server, then takes over `other`'s.
  emulator& operator=(emulator&& other) noexcept;
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;

  /// Stops accepting, lets requests in flight finish (bounded), closes every
  /// connection and joins the threads. Idempotent. Counters stay readable.
  void stop();

  /// `https://127.0.0.1:PORT/v1`.
  std::string base_url() const;
  /// The bound port.
  std::uint16_t port() const;
  /// The CA certificate that signed the server's certificate (what clients trust), PEM file.
  std::filesystem::path ca_file() const;
  /// The emulator's `credentials.json` (config::from_credentials_file() and the `codex`
  /// CLI read it; `CODEX_CREDENTIALS_FILE` points programs at it).
  std::filesystem::path credentials_file() const;
  /// The seeded project and credentials.
  const seeded_credentials& credentials() const noexcept;

  /// A configuration ready for this emulator: its base URL, its CA as the only trusted
  /// one, the seeded credential of `kind`, and the client-side rate limit set to the
  /// emulator's for that kind as it is now (same rate; a burst of half the emulator's
  /// bucket, so that calls go at once yet a client alone is not answered 429). Everything
  /// else keeps the production defaults; change any of it before building the client.
  codex::config config(credential_kind kind = credential_kind::api_key) const;

  /// Replaces the faults for requests that arrive afterwards; `set_faults({})` clears
  /// them. Like every change of settings, refills the rate buckets.
  void set_faults(const fault_options& faults);
  /// Fails the `n`th step the server performs from now on, once. Steps are, for each
  /// connection accepted after this call, its accept, its TLS handshake, every read
  /// (a piece of a request) and every write (a response); 1 is the next accept. `n` 0
  /// disarms. A test loops n = 1, 2, … to see its code survive a failure at every point.
  void fail_step(std::uint64_t n, step_failure failure = step_failure::close);
  /// Replaces the rate limit of API keys and client credentials (buckets refilled).
  /// Errors: std::invalid_argument for a limit of 0 or a window of 0.
  void set_rate_limit(const rate_limit_options& limit);
  /// Tokens issued afterwards live `ttl`.
  void set_token_ttl(std::chrono::seconds ttl);

  /// The counters of one seeded credential (`anonymous`: every call without one).
  counters counters_of(credential_kind kind) const;
  /// The sum over every credential, seeded or not.
  counters totals() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace codex::testing
