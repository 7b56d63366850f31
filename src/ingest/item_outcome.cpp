#include <codex/ingest/item_outcome.hpp>

#include <algorithm>

namespace codex::ingest {
namespace {

/// A short, stable name for a codex::errc (the "error" field of a rejection that has
/// no service code).
const char* errc_name(const std::error_code& code) {
  if (code.category() != category()) return "error";
  switch (static_cast<errc>(code.value())) {
    case errc::invalid_url: return "invalid_url";
    case errc::unsupported_scheme: return "unsupported_scheme";
    case errc::invalid_argument: return "invalid_argument";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::resolve_failed: return "resolve_failed";
    case errc::connect_failed: return "connect_failed";
    case errc::tls_handshake_failed: return "tls_handshake_failed";
    case errc::certificate_rejected: return "certificate_rejected";
    case errc::host_name_mismatch: return "host_name_mismatch";
    case errc::connection_closed: return "connection_closed";
    case errc::connection_reset: return "connection_reset";
    case errc::timeout: return "timeout";
    case errc::cancelled: return "cancelled";
    case errc::protocol_error: return "protocol_error";
    case errc::response_too_large: return "response_too_large";
    case errc::io_error: return "io_error";
    case errc::bad_request: return "bad_request";
    case errc::unauthenticated: return "unauthenticated";
    case errc::permission_denied: return "permission_denied";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unprocessable: return "unprocessable";
    case errc::rate_limited: return "rate_limited";
    case errc::server_error: return "server_error";
    case errc::unexpected_status: return "unexpected_status";
    case errc::credentials_rejected: return "credentials_rejected";
    case errc::token_unavailable: return "token_unavailable";
    case errc::deadline_too_short: return "deadline_too_short";
    case errc::retry_budget_exhausted: return "retry_budget_exhausted";
    case errc::decode_error: return "decode_error";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::cursor_repeated: return "cursor_repeated";
    case errc::journal_damaged: return "journal_damaged";
    case errc::job_locked: return "job_locked";
    case errc::file_error: return "file_error";
    case errc::proxy_unreachable: return "proxy_unreachable";
    case errc::proxy_auth_required: return "proxy_auth_required";
    case errc::proxy_refused: return "proxy_refused";
    case errc::client_certificate_rejected: return "client_certificate_rejected";
    case errc::not_supported: return "not_supported";
  }
  return "error";
}

/// Statuses that say "not now", not "not this": the item or body may be sent again.
bool is_transient_status(int status) noexcept {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

}  // namespace

item_verdict classify_item(int status) noexcept {
  if (status >= 200 && status <= 299) return item_verdict::accepted;
  if (status >= 400 && status <= 499 && !is_transient_status(status)) return item_verdict::reject;
  return item_verdict::retry;
}

settlement settle(const batch_result& answer, std::span<const std::uint32_t> attempts,
                  std::uint32_t max_item_attempts) {
  const std::size_t count = attempts.size();
  // The first entry for each index wins; the rest (and out-of-range ones) are ignored.
  std::vector<const batch_item_result*> entry_of(count, nullptr);
  for (const auto& entry : answer.results) {
    if (entry.index < count && entry_of[entry.index] == nullptr) entry_of[entry.index] = &entry;
  }
  settlement out;
  for (std::size_t i = 0; i < count; ++i) {
    const batch_item_result* entry = entry_of[i];
    const int status = entry ? entry->status : 0;
    // A 2xx without an id cannot be reported as accepted "with its id": it is a
    // malformed answer, treated like a missing one.
    const bool usable = entry && !(classify_item(status) == item_verdict::accepted && entry->id.empty());
    const item_verdict verdict = usable ? classify_item(status) : item_verdict::retry;
    if (status == 429) ++out.rate_limited;
    if (verdict == item_verdict::accepted) {
      out.accepted.push_back({i, entry->id});
      continue;
    }
    if (verdict == item_verdict::retry && attempts[i] < max_item_attempts) {
      out.retry.push_back(i);
      continue;
    }
    item_rejection reason{.index = i, .status = usable ? status : 0};
    if (usable && entry->error) {
      reason.error = entry->error->error;
      reason.message = entry->error->message;
    } else if (!usable) {
      reason.error = "missing_result";
      reason.message = "the batch response had no usable result for this item";
    } else {
      reason.error = "status_" + std::to_string(status);
    }
    if (verdict == item_verdict::retry) {
      reason.message = "not delivered after " + std::to_string(attempts[i]) + " attempts: " + reason.message;
      out.exhausted.push_back(std::move(reason));
    } else {
      out.rejected.push_back(std::move(reason));
    }
  }
  return out;
}

bool is_transient_batch_failure(const error_info& failure) noexcept {
  if (failure.code == errc::decode_error) return true;  // a 200 whose body did not parse
  if (failure.http_status != 0) return is_transient_status(failure.http_status);
  if (failure.code.category() != category()) return false;
  switch (static_cast<errc>(failure.code.value())) {
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::proxy_unreachable:
    case errc::tls_handshake_failed:
    case errc::connection_closed:
    case errc::connection_reset:
    case errc::timeout:
    case errc::protocol_error:
    case errc::io_error:
    case errc::rate_limited:
    case errc::server_error:
    case errc::token_unavailable:
    case errc::deadline_too_short:
    case errc::retry_budget_exhausted:
      return true;
    default:
      return false;
  }
}

bool is_refused_content(const error_info& failure) noexcept {
  // The batch call's own answer only: a token endpoint's 400 (credentials_rejected,
  // token_unavailable) says nothing about the items.
  const int s = failure.http_status;
  return (s == 400 || s == 413 || s == 422) && failure.code == errc_from_status(s);
}

batch_failure_decision decide_batch_failure(const error_info& failure, std::size_t items, std::uint32_t attempts,
                                            std::chrono::milliseconds time_left, const batch_retry_limits& limits,
                                            std::uint64_t random_bits) noexcept {
  if (is_refused_content(failure)) return {.action = items > 1 ? batch_action::split : batch_action::refuse};
  if (!is_transient_batch_failure(failure)) return {};
  if (attempts >= limits.max_attempts) return {.why = "every attempt of the batch failed"};
  if (failure.retry_after && *failure.retry_after > limits.max_wait) {
    return {.why = "the server's Retry-After is longer than the ingester's max_wait"};
  }
  auto delay = std::min(limits.backoff.delay(attempts, random_bits), limits.max_wait);
  if (failure.retry_after) delay = std::max(delay, *failure.retry_after);
  if (delay >= time_left) return {.why = "the next attempt would start after the batch's deadline"};
  return {.action = batch_action::resend, .delay = delay};
}

batch_failure_decision decide_item_round(std::uint32_t round, std::chrono::milliseconds time_left,
                                         const batch_retry_limits& limits, std::uint64_t random_bits) noexcept {
  const auto delay = std::min(limits.backoff.delay(round > 1 ? round - 1 : 1, random_bits), limits.max_wait);
  if (delay >= time_left) return {.why = "the next attempt would start after the batch's deadline"};
  return {.action = batch_action::resend, .delay = delay};
}

item_rejection rejection_from(const error_info& failure, std::size_t index) {
  item_rejection out{.index = index, .status = failure.http_status};
  out.error = failure.service_code.empty() ? errc_name(failure.code) : failure.service_code;
  out.message = failure.message.empty() ? failure.code.message() : failure.message;
  return out;
}

}  // namespace codex::ingest
