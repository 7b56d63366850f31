#include "call/token_source.hpp"

#include "call/call_driver.hpp"
#include "detail/wakeup.hpp"
#include "json/error_body.hpp"

#include <codex/auth/jwt.hpp>
#include "auth/token_cache.hpp"
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include "limit/limiter_registry.hpp"
#include <codex/net/pacing_headers.hpp>
#include <codex/retry/backoff.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <openssl/crypto.h>

#include <mutex>
#include <unordered_map>

namespace codex::call {
namespace {

void cleanse(std::string& text) { OPENSSL_cleanse(text.data(), text.size()); }

/// Sleeps until `until`: errc::cancelled when the caller cancels the wait.
asio::awaitable<std::error_code> sleep_until(clock::time_point until) {
  asio::steady_timer timer(co_await asio::this_coro::executor, until);
  auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  co_return ec ? make_error_code(errc::cancelled) : std::error_code{};
}

}  // namespace

/// Performs one POST /auth/token for a client: one attempt through the call driver
/// (limiter slot, send), its own resources over shared objects, so that a background
/// refresh can outlive its client.
class token_fetcher {
 public:
  token_fetcher(client_credentials creds, std::chrono::milliseconds timeout, const net::url& base,
                std::shared_ptr<net::transport> transport, std::shared_ptr<limit::limiter_backend> limiter)
      : creds_(std::move(creds)),
        target_(base.target("/auth/token")),
        timeout_(timeout),
        transport_(std::move(transport)),
        limiter_(std::move(limiter)),
        resources_{.limiter = limiter_.get(), .transport = transport_.get(), .secret_body = true} {}

  asio::awaitable<result<auth::token_grant>> fetch(std::shared_ptr<token_fetcher> self) {
    net::http_request request;
    request.method = net::http_method::post;
    request.target = target_;
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Accept", "application/json");
    if (auto ec = json::encode_token_request(creds_.client_id, creds_.client_secret.reveal(), creds_.scope, request.body))
      co_return error_info{.code = ec, .message = "the client credentials are not valid UTF-8"};
    // A token request may be sent again: a second one only issues another token (the
    // first stays valid). So a connection lost or stalled on the way is retried within
    // the fetch timeout, as a GET would be, each attempt capped at half of it so that a
    // stall leaves time for one more; the calls waiting for this refresh then see no
    // failure at all (found by the fault matrix: one dropped connection failed them). What
    // still fails is the token cache's to back off from.
    const call_plan plan{.deadline = clock::now() + timeout_,
                         .attempt_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_ / 2),
                         .replay_safe = true,
                         .retry = &fetch_retries_,
                         .random_bits = retry::jitter_bits};
    call_report report;
    report.method = "POST";
    constexpr std::string_view path = "/auth/token";
    const std::size_t path_at = request.target.size() - path.size();
    attempt_result outcome =
        co_await drive(call_job(plan, std::move(report), std::move(request), path_at, path.size(), resources_, self));
    if (!outcome) {
      error_info failure = std::move(outcome).error();
      // The cause stays in the message (a proxy that wants credentials, a refused client
      // certificate): the code says only that no token could be had.
      failure.message = "token request failed (" + failure.code.message() + "): " + failure.message;
      failure.code = make_error_code(errc::token_unavailable);
      co_return failure;
    }
    net::http_response& response = *outcome;
    auto grant = grant_from(response);
    cleanse(response.body);
    co_return grant;
  }

 private:
  static result<auth::token_grant> grant_from(const net::http_response& response) {
    std::string request_id(response.headers.find("X-Request-Id").value_or(""));
    if (response.status < 200 || response.status > 299) {
      auto body = json::decode_error_body(response.body);
      // 400 invalid_client happens for unknown ids; 401 for a wrong or revoked secret.
      const bool rejected = response.status == 401 || body.error == "invalid_client";
      return error_info{.code = make_error_code(rejected ? errc::credentials_rejected : errc::token_unavailable),
                        .http_status = response.status,
                        .service_code = std::move(body.error),
                        .message = rejected ? "the token endpoint rejected the client credentials"
                                            : "the token endpoint answered HTTP " + std::to_string(response.status),
                        .request_id = std::move(request_id)};
    }
    auto decoded = json::decode_token_response(response.body);
    if (!decoded) return error_info{.code = make_error_code(errc::token_unavailable),
                                    .http_status = response.status,
                                    .message = "malformed token response: " + decoded.error().message,
                                    .request_id = std::move(request_id)};
    auth::token_grant grant;
    if (decoded->expires_in > 0) grant.expires_in = std::chrono::seconds(decoded->expires_in);
    if (auto claims = auth::read_jwt_claims(decoded->access_token)) grant.jwt_exp = claims->exp;
    if (auto date = response.headers.find("Date"))
      grant.server_date = net::parse_http_date(*date, std::chrono::system_clock::now());
    grant.access_token = secret(std::move(decoded->access_token));
    cleanse(decoded->access_token);
    return grant;
  }

  static constexpr retry::retry_options fetch_retries_{
      .max_attempts = 3, .backoff = {.initial = std::chrono::milliseconds(50), .max = std::chrono::milliseconds(500)}};

  client_credentials creds_;
  std::string target_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<net::transport> transport_;
  std::shared_ptr<limit::limiter_backend> limiter_;
  call_resources resources_;
};

/// The token cache of one credential, with its single-flight refresher: at most one
/// refresh runs at a time; callers with no valid token wait for it and all resume with
/// its outcome — the token, or the same error.
class token_source : public std::enable_shared_from_this<token_source> {
 public:
  explicit token_source(const auth::token_cache_options& options) : cache_(options) {}

  asio::awaitable<result<token_ptr>> get(std::shared_ptr<token_fetcher> fetcher, clock::time_point deadline,
                                         call_report& report) {
    for (;;) {
      std::shared_ptr<waiter_slot> waiter;  // only for a wait: the steady path allocates nothing
      auth::token_decision decision;
      {
        std::lock_guard lock(mutex_);
        decision = cache_.decide(clock::now());
        if (decision.action == auth::token_action::must_wait_for_refresh) {
          waiter = std::make_shared<waiter_slot>();
          waiters_.push_back(waiter);
        }
      }
      if (decision.start_refresh) {
        report.token_refreshes += 1;
        asio::co_spawn(co_await asio::this_coro::executor, refresh(shared_from_this(), fetcher), asio::detached);
      }
      switch (decision.action) {
        case auth::token_action::use_current:
        case auth::token_action::use_current_and_start_background_refresh:
          co_return std::move(decision.token);
        case auth::token_action::fail_credentials_rejected:
          co_return error_info{.code = decision.error, .message = "the token endpoint rejected the client credentials"};
        case auth::token_action::wait_backoff:
          if (decision.retry_at > deadline)
            co_return error_info{.code = decision.error, .message = "no access token: the last refresh failed"};
          if (auto ec = co_await sleep_until(decision.retry_at)) co_return ec;
          continue;
        case auth::token_action::must_wait_for_refresh:
          if (!decision.start_refresh) report.token_refreshes += 1;
          if (auto failure = co_await wait(waiter, deadline)) co_return std::move(*failure);
          continue;  // the refresh succeeded: decide again (normally use_current)
      }
    }
  }

  /// A 401 for `token`: forget it if it is still the current one.
  void invalidate(const token_ptr& token) {
    std::lock_guard lock(mutex_);
    cache_.invalidate(token);
  }

  /// When the cache stops using `token`; nullopt when it is no longer the current one.
  std::optional<clock::time_point> usable_until(const token_ptr& token) const {
    std::lock_guard lock(mutex_);
    if (cache_.current() != token) return std::nullopt;
    return cache_.expires_at();
  }

 private:
  struct waiter_slot {
    std::shared_ptr<detail::wakeup> wakeup = std::make_shared<detail::wakeup>();
    std::optional<error_info> failure;  // written under mutex_ before wake()
  };

  /// Waits for the refresh in flight; returns its failure, if it failed.
  asio::awaitable<std::optional<error_info>> wait(std::shared_ptr<waiter_slot> waiter, clock::time_point deadline) {
    const auto result = co_await waiter->wakeup->wait_until(deadline);
    const bool woken = result == detail::wake_result::woken;
    std::optional<error_info> failure;
    {
      std::lock_guard lock(mutex_);
      if (woken) {
        failure = waiter->failure;
      } else {
        std::erase(waiters_, waiter);
      }
    }
    if (woken) co_return failure;
    const bool cancelled = result == detail::wake_result::cancelled;
    co_return error_info{.code = make_error_code(cancelled ? errc::cancelled : errc::timeout),
                         .message = "waiting for an access token"};
  }

  static asio::awaitable<void> refresh(std::shared_ptr<token_source> self, std::shared_ptr<token_fetcher> fetcher) {
    const auto sent_at = clock::now();
    result<auth::token_grant> grant = errc::token_unavailable;
    try {
      grant = co_await fetcher->fetch(fetcher);
    } catch (const std::exception&) {  // allocation failure: report it like any other failure
    }
    std::vector<std::shared_ptr<waiter_slot>> waiters;
    {
      std::lock_guard lock(self->mutex_);
      if (grant) {
        self->cache_.on_refresh_success(std::move(*grant), sent_at, std::chrono::system_clock::now());
      } else {
        self->cache_.on_refresh_failure(grant.code(), clock::now(), retry::jitter_bits());
      }
      waiters.swap(self->waiters_);
      for (auto& w : waiters) {
        if (!grant) w->failure = grant.error();
      }
    }
    for (auto& w : waiters) w->wakeup->wake();
  }

  mutable std::mutex mutex_;
  auth::token_cache cache_;
  std::vector<std::shared_ptr<waiter_slot>> waiters_;
};

namespace {

/// Token sources by (origin, client_id, secret): every client of one credential in the
/// process shares one cache and one refresh.
std::shared_ptr<token_source> shared_token_source(const std::string& key, const auth::token_cache_options& options) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::weak_ptr<token_source>> sources;
  std::lock_guard lock(mutex);
  auto& slot = sources[key];
  auto source = slot.lock();
  if (!source) {
    source = std::make_shared<token_source>(options);
    slot = source;
  }
  return source;
}

}  // namespace

bearer_tokens::bearer_tokens(const client_credentials& creds, const token_settings& settings, const net::url& base,
                             std::shared_ptr<net::transport> transport, std::shared_ptr<limit::limiter_backend> limiter)
    : source_(shared_token_source(limit::credential_identity("token-source", base.to_string() + " " + creds.client_id,
                                                             creds.client_secret.reveal()),
                                  settings.cache)),
      fetcher_(std::make_shared<token_fetcher>(creds, settings.fetch_timeout, base, std::move(transport),
                                               std::move(limiter))) {}

bearer_tokens::~bearer_tokens() = default;

asio::awaitable<result<token_ptr>> bearer_tokens::get(clock::time_point deadline, call_report& report) {
  return source_->get(fetcher_, deadline, report);
}

void bearer_tokens::invalidate(const token_ptr& token) { source_->invalidate(token); }

std::optional<clock::time_point> bearer_tokens::usable_until(const token_ptr& token) const {
  return source_->usable_until(token);
}

}  // namespace codex::call
