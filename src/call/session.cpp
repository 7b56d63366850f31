#include "call/session.hpp"

#include "net/http_codec.hpp"

#include <codex/observer.hpp>
#include <codex/retry/backoff.hpp>
#include <codex/retry/idempotency.hpp>

#include <openssl/crypto.h>

namespace codex::call {
namespace {

/// The header lines every request of the client carries after Host, made once:
/// Accept, User-Agent and a fixed credential (so a secret, wiped when the client goes).
auth::secret preset_fields_for(const std::optional<credential_header>& credential) {
  net::header_list fields;
  fields.add("Accept", "application/json");
  fields.add("User-Agent", "codex-cpp/" CODEX_VERSION);
  if (credential) fields.add(credential->name, credential->value.reveal());
  std::string lines;
  auto formatted = net::codec::format_fields(fields, lines);
  OPENSSL_cleanse(fields.storage().data(), fields.storage().size());
  if (!formatted) throw codex::error(std::move(formatted).error());  // the client checked the values
  return auth::secret(std::move(lines));
}

}  // namespace

session::session(session_parts parts)
    : parts_(std::move(parts)),
      budget_(parts_.retry_budget),
      preset_fields_(preset_fields_for(parts_.credential)),
      resources_{.limiter = parts_.limiter.get(),
                 .transport = parts_.transport.get(),
                 .tokens = parts_.tokens.get(),
                 .preset_fields = preset_fields_.reveal(),
                 .log = parts_.log.get(),
                 .report_calls = true,
                 .errors_from_status = true} {}

result<call_job> session::prepare(api_request&& request) {
  if (request.method == net::http_method::post && (request.idempotent || request.idempotency_key)) {
    if (!request.idempotency_key) {
      auto key = retry::make_idempotency_key();
      if (!key) return std::move(key).error();
      request.idempotency_key = std::move(*key);
    }
    request.headers.set("Idempotency-Key", *request.idempotency_key);
  }
  // The credential is the client's (among the preset fields): a caller's is not sent.
  if (parts_.credential) request.headers.erase(parts_.credential->name);
  if (!request.body.empty()) request.headers.add("Content-Type", "application/json");
  const call_plan plan{
      .deadline = clock::now() + request.timeout.value_or(parts_.timeout),
      .attempt_timeout = parts_.attempt_timeout,
      .replay_safe = retry::is_replay_safe(request.method, request.idempotency_key.has_value()),
      .refreshable_token = parts_.tokens != nullptr,
      .retry = &parts_.retry,
      .budget = &budget_,
      .random_bits = &retry::jitter_bits};
  call_report report;
  report.method = net::to_string(request.method);

  // The target is the path's own string with the base's prefix inserted in front (the
  // typed calls leave room for it) and the query after.
  net::http_request http{.method = request.method, .target = std::move(request.path),
                         .headers = std::move(request.headers), .body = std::move(request.body)};
  const std::size_t path_at = parts_.base.path_prefix.size();
  const std::size_t path_size = http.target.size();
  http.target.insert(0, parts_.base.path_prefix);
  if (!request.query.empty()) {
    http.target.push_back('?');
    http.target += request.query;
  }
  return call_job(plan, std::move(report), std::move(http), path_at, path_size, resources_, shared_from_this());
}

// Not a coroutine: the call's one frame is the driver's, which the job is moved into.
asio::awaitable<result<net::http_response>> session::execute(api_request request) {
  auto job = prepare(std::move(request));
  if (!job) return ready(result<net::http_response>(std::move(job).error()));
  return drive(std::move(*job));
}

}  // namespace codex::call
