#pragma once
// codex::auth::token_cache — the decisions of the Bearer token cache as a small state
// machine: use the token, use it and refresh in the background, wait for the one
// refresh in flight, wait out a backoff, or fail for rejected credentials. It does no
// I/O and reads no clock: the single-flight refresher (a coroutine) performs what it
// decides and reports back.

#include <codex/auth/secret.hpp>
#include <codex/auth/token_options.hpp>
#include <codex/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

namespace codex::auth {


/// What a caller that needs a token must do.
enum class token_action : std::uint8_t {
  use_current,                               ///< send with `token`
  use_current_and_start_background_refresh,  ///< send with `token`, and start the refresh (start_refresh is set), without waiting for it
  must_wait_for_refresh,                     ///< no valid token: wait for the refresh (start it first if start_refresh is set)
  wait_backoff,                              ///< no valid token, and the last refresh failed: decide again at retry_at (or fail with `error` if that is past the call's deadline)
  fail_credentials_rejected,                 ///< the token endpoint refused the credentials: fail with `error` (errc::credentials_rejected)
};

/// Short name, for logs and metrics.
const char* to_string(token_action action) noexcept;

/// The decision for one caller.
struct token_decision {
  token_action action = token_action::must_wait_for_refresh;  ///< what to do; the fields below say with what
  /// This caller must start the refresh (the cache now counts it as in flight) and
  /// report its end with on_refresh_success() or on_refresh_failure(). Set for exactly
  /// one caller per refresh.
  bool start_refresh = false;
  std::shared_ptr<const secret> token;  ///< with use_current*: the token to send (and to pass to invalidate() on a 401)
  std::chrono::steady_clock::time_point retry_at{};  ///< with wait_backoff
  std::error_code error;                ///< with wait_backoff (the last failure) and fail_credentials_rejected
};

/// A successful POST /auth/token, as the refresher read it.
struct token_grant {
  secret access_token;                                              ///< the token to send as Bearer
  std::optional<std::chrono::seconds> expires_in;                   ///< the response's expires_in
  std::optional<std::int64_t> jwt_exp;                              ///< the token's `exp` claim (Unix seconds), if it is a JWT
  std::optional<std::chrono::system_clock::time_point> server_date; ///< the response's Date header, for clock skew
};

/// The cache's state machine.
///
/// Expiry: the lifetime is the smaller of expires_in and (exp − the server's Date, or
/// exp − the local clock when no Date came), counted from when the token request was
/// sent; an `exp` that looks already past while expires_in is positive is taken as local
/// clock skew and ignored. Less the margin (expiry_margin, at most 10 % of the
/// lifetime). The background refresh is due refresh window = min(refresh_fraction ×
/// lifetime, max_refresh_window) before that.
///
/// Failures: errc::credentials_rejected is terminal — no refresh is tried again until
/// reset_credentials(); a still-valid token stays in use until it expires. Any other
/// error (transient) sets a backoff; the next caller after it starts a new refresh. A
/// refresh that ends with errc::cancelled (its coroutine was stopped) is no failure:
/// the next caller starts another at once.
///
/// Thread-safety: none. The owner guards every call with one mutex, held only for the
/// call itself — never across a co_await.
class token_cache {
 public:
  /// The clock of every `now` and of the returned instants (system_clock only for the
  /// wall-clock arguments of on_refresh_success()).
  using clock = std::chrono::steady_clock;

  /// An empty cache: no token, no refresh in flight; the first decide() starts one.
  explicit token_cache(const token_cache_options& options = {}) : options_(options) {}

  /// The decision for a caller that needs a token at `now`. May mark a refresh in flight
  /// (then start_refresh is set in the result).
  token_decision decide(clock::time_point now);

  /// The refresh ended with a token. `sent_at`: when the token request was sent (the
  /// conservative start of its lifetime); `system_now`: the local wall clock, used for
  /// `exp` only when no Date header came.
  void on_refresh_success(token_grant grant, clock::time_point sent_at,
                          std::chrono::system_clock::time_point system_now);

  /// The refresh failed with `error` at `now`. `random_bits` spread the backoff.
  void on_refresh_failure(std::error_code error, clock::time_point now, std::uint64_t random_bits) noexcept;

  /// A 401 invalid_token for `token`: forgets it if it is still the current one (the same
  /// object decide() handed out), so that the next decide() refreshes. Returns whether it
  /// did; false means another caller already caused a refresh — just decide() again.
  bool invalidate(const std::shared_ptr<const secret>& token) noexcept;

  /// New credentials: forgets the token, the rejection and the backoff. A refresh already
  /// in flight (with the old credentials) still reports to this cache: call it when none
  /// is, or expect that refresh's outcome to apply.
  void reset_credentials() noexcept;

  /// The cached token, or null when there is none (never fetched, invalidated, reset).
  /// It may have expired: decide() is what checks.
  std::shared_ptr<const secret> current() const noexcept { return token_; }
  /// When the cached token stops being used (its lifetime less the margin); nullopt
  /// without a token.
  std::optional<clock::time_point> expires_at() const noexcept;
  /// When the background refresh of the cached token is due; nullopt without a token.
  std::optional<clock::time_point> refresh_at() const noexcept;
  /// True while a refresh that decide() started has not been reported back.
  bool refresh_in_flight() const noexcept { return in_flight_; }
  /// True once a refresh failed with errc::credentials_rejected, until reset_credentials().
  bool credentials_rejected() const noexcept { return rejected_; }
  /// Transient refresh failures since the last success (or reset_credentials()); they
  /// set the length of the backoff.
  std::uint32_t consecutive_failures() const noexcept { return failures_; }
  /// Refreshes ended so far — succeeded, failed or cancelled.
  std::uint64_t generation() const noexcept { return generation_; }
  /// The options the cache was made with.
  const token_cache_options& options() const noexcept { return options_; }

 private:
  token_decision make(token_action action, bool start) const;

  token_cache_options options_;
  std::shared_ptr<const secret> token_;
  clock::time_point expires_at_{};
  clock::time_point refresh_at_{};
  bool in_flight_ = false;
  bool rejected_ = false;
  std::uint32_t failures_ = 0;
  clock::time_point backoff_until_{};
  std::error_code last_failure_;
  std::uint64_t generation_ = 0;
};

}  // namespace codex::auth
