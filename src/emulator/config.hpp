#pragma once
// The emulator's tunables: rate limits, token lifetime, field limits and faults.
// Plain aggregates with documented defaults; updated at run time through
// POST /_emulator/config (see apply_config_json).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace codex::emulator {

/// How a rate limit is enforced.
enum class limiter_mode {
  gcra,          ///< token bucket: `burst` requests at once, refilled evenly over the window
  fixed_window,  ///< at most `limit` requests per aligned window (simple, for tests)
};

/// How Retry-After is written on a 429.
enum class retry_after_format {
  seconds,    ///< delta-seconds, rounded up
  http_date,  ///< an IMF-fixdate, rounded up to the next whole second
};

/// One rate limit: `limit` requests per `window`.
struct rate_limit_options {
  std::uint32_t limit = 1000;
  std::chrono::milliseconds window = std::chrono::seconds(60);
  std::uint32_t burst = 0;  ///< GCRA bucket capacity; 0 means `limit`
  limiter_mode mode = limiter_mode::gcra;

  std::uint32_t capacity() const noexcept { return burst == 0 ? limit : burst; }
};

/// The I/O steps of a server connection that the "fail the Nth step" knob counts, in
/// the order a connection performs them: accept, handshake, then a read per piece of a
/// request (a TLS record) and a write per response (or 100 Continue).
enum class step_kind : std::uint8_t { accept, handshake, read, write };

/// What the server does at the step that fails.
enum class step_action : std::uint8_t {
  none,      ///< the step is performed as usual
  close,     ///< instead of the step, close with a FIN (no TLS close_notify)
  reset,     ///< instead of the step, close with an RST (SO_LINGER 0)
  stall,     ///< instead of the step, stop: no read or write on the connection until the client leaves
  truncate,  ///< a write: send its first half, then close with a FIN; any other step: as close
};

/// "Fail the Nth step": the nth step counted (1 is the accept of the first connection
/// accepted after the knob was set) suffers `action`, once. n = 0: nothing fails.
struct step_fault {
  std::uint64_t n = 0;
  step_action action = step_action::close;
  bool operator==(const step_fault&) const = default;
};

/// Faults injected into /v1 responses (never into /_emulator/ or /.well-known/).
/// Probabilities are in [0, 1] and drawn independently per request.
struct fault_options {
  std::chrono::milliseconds latency{0};        ///< added before every response
  double p500 = 0;                             ///< answer 500 without doing anything
  double p503 = 0;                             ///< answer 503 without doing anything
  double p_drop = 0;                           ///< do the work, then reset the connection mid-response
  double p_truncate = 0;                       ///< do the work, then close (FIN) inside the body
  std::chrono::milliseconds token_delay{0};    ///< extra delay on POST /auth/token
  bool token_fail = false;                     ///< POST /auth/token answers 503
  /// Set by a config update that names it: the service arms its server's step knob with
  /// it (a fresh count each time) and clears it — an event, not a standing setting.
  std::optional<step_fault> fail_step;
};

/// Sizes the contract fixes, and the emulator's memory bounds.
struct field_limits {
  std::size_t title_bytes = 512;
  std::size_t body_bytes = 1u << 20;
  std::size_t tags = 64;
  std::size_t tag_bytes = 256;
  std::size_t metadata_keys = 64;
  std::size_t batch_items = 1000;
  std::size_t batch_bytes = 8u << 20;
  std::size_t batch_get_ids = 1000;
  std::size_t list_default = 100;
  std::size_t list_max = 1000;
  std::size_t max_documents = 1'000'000;       ///< over it, creates answer 422 quota_exceeded
  std::size_t idempotency_entries = 100'000;   ///< oldest entries are evicted past this
  std::chrono::seconds idempotency_ttl = std::chrono::hours(24);
};

/// Everything the API part of the emulator (the `service`) needs to know.
struct service_options {
  rate_limit_options rate_limit{};                        ///< per API key / client id
  rate_limit_options anonymous_rate_limit{.limit = 100};  ///< per client address
  retry_after_format retry_after = retry_after_format::seconds;
  std::chrono::seconds token_ttl = std::chrono::seconds(3600);
  fault_options faults{};
  field_limits limits{};
  std::string issuer = "codex-emulator";  ///< JWT `iss`
  std::string audience = "codex-api";     ///< JWT `aud`
  std::string admin_token;                ///< X-Emulator-Admin; empty disables /_emulator/
};

/// Applies a partial JSON update (the body of POST /_emulator/config) to `options`.
/// Accepted members (all optional):
///   "token_ttl": seconds,
///   "rate_limit": {"limit", "window" (seconds, may be fractional), "burst", "mode": "gcra"|"fixed-window"},
///   "anonymous_rate_limit": {... as rate_limit},
///   "retry_after_format": "seconds"|"http-date",
///   "max_documents": n,
///   "faults": {"latency_ms", "p500", "p503", "p_drop", "p_truncate", "token_delay_ms", "token_fail",
///              "fail_step": {"n": steps, "action": "close"|"reset"|"stall"|"truncate"}}.
/// Returns an empty string on success, else a message for a 400/422 (and `options`
/// is left unchanged). `json` must have simdjson's padding past its end
/// (capacity >= size + 64). Thread-safe for distinct `options`.
std::string apply_config_json(service_options& options, std::string& json);

/// The tunable part of `options` as JSON (the same shape apply_config_json reads;
/// the admin token is never included). Thread-safe.
std::string config_to_json(const service_options& options);

}  // namespace codex::emulator
