// The ingester's decisions without I/O: batch admission and flushing by exact size,
// per-item and whole-batch outcome classification, stable ids, reject lines.

#include <codex/ingest/batch_policy.hpp>
#include <codex/ingest/item_outcome.hpp>
#include <codex/ingest/rejects.hpp>
#include <codex/ingest/stable_id.hpp>
#include <codex/json/encode.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace codex::ingest;
using namespace std::chrono_literals;

TEST_CASE("batch_body_bytes is the exact size of the body", "[ingest][policy]") {
  std::vector<codex::document_input> items(3);
  items[0].title = "a";
  items[1].title = "b\"quoted\"";
  items[2].body = "é";
  std::string body;
  REQUIRE_FALSE(codex::json::encode_batch(items, body));
  std::size_t sum = 0;
  for (const auto& item : items) {
    std::string one;
    REQUIRE_FALSE(codex::json::encode(item, one));
    sum += one.size();
  }
  CHECK(batch_body_bytes(items.size(), sum) == body.size());
  std::string empty;
  REQUIRE_FALSE(codex::json::encode_batch({}, empty));
  CHECK(batch_body_bytes(0, 0) == empty.size());
}

TEST_CASE("admit: by count, by exact bytes, and items too large alone", "[ingest][policy]") {
  const batch_limits limits{.max_items = 3, .max_bytes = 100};
  CHECK(admit(limits, 0, 0, 50) == admission::fits);
  CHECK(admit(limits, 2, 20, 10) == admission::fits);
  CHECK(admit(limits, 3, 30, 10) == admission::batch_full);
  // 12 wrapper + 88 = 100: exactly at the limit fits; one byte more does not.
  CHECK(admit(limits, 0, 0, 88) == admission::fits);
  CHECK(admit(limits, 0, 0, 89) == admission::item_too_large);
  // Two items: 12 + 40 + 47 + 1 comma = 100.
  CHECK(admit(limits, 1, 40, 47) == admission::fits);
  CHECK(admit(limits, 1, 40, 48) == admission::batch_full);
}

TEST_CASE("should_flush: full, finishing, linger, in that order", "[ingest][policy]") {
  const batch_limits limits{.max_items = 10, .max_bytes = 1000};
  CHECK(should_flush(limits, {.count = 0, .closed = true, .linger_elapsed = true, .finishing = true}) ==
        flush_reason::none);
  CHECK(should_flush(limits, {.count = 3}) == flush_reason::none);
  CHECK(should_flush(limits, {.count = 10}) == flush_reason::full);
  CHECK(should_flush(limits, {.count = 3, .closed = true}) == flush_reason::full);
  CHECK(should_flush(limits, {.count = 3, .linger_elapsed = true, .finishing = true}) == flush_reason::finishing);
  CHECK(should_flush(limits, {.count = 3, .linger_elapsed = true}) == flush_reason::linger);
}

TEST_CASE("valid limits follow the contract", "[ingest][policy]") {
  CHECK(valid({}));
  CHECK(valid({.max_items = 1000, .max_bytes = 8u << 20}));
  CHECK_FALSE(valid({.max_items = 1001}));
  CHECK_FALSE(valid({.max_items = 0}));
  CHECK_FALSE(valid({.max_bytes = (8u << 20) + 1}));
  CHECK_FALSE(valid({.max_bytes = 13}));
  CHECK(valid({.max_bytes = 14}));
}

TEST_CASE("classify_item: accepted, retry, reject", "[ingest][outcome]") {
  CHECK(classify_item(200) == item_verdict::accepted);
  CHECK(classify_item(201) == item_verdict::accepted);
  // "Not now" (and answers that say nothing about the item) are never "refused for good".
  for (int s : {408, 409, 429, 500, 502, 503, 504, 599, 0, 100, 302, 600}) CHECK(classify_item(s) == item_verdict::retry);
  for (int s : {400, 401, 403, 404, 410, 413, 422}) CHECK(classify_item(s) == item_verdict::reject);
}

TEST_CASE("settle: every item ends in exactly one list", "[ingest][outcome]") {
  codex::batch_result answer;
  answer.results = {
      {.index = 0, .status = 201, .id = "doc_a"},
      {.index = 1, .status = 422, .error = codex::item_error{"invalid_field", "title: too long"}},
      {.index = 2, .status = 503, .error = codex::item_error{"unavailable", "later"}},
      {.index = 3, .status = 429},
      {.index = 0, .status = 422},            // a repeated index: ignored
      {.index = 99, .status = 201, .id = "x"},  // out of range: ignored
      {.index = 5, .status = 200},            // 2xx without an id: unusable
      // index 4 has no result at all
  };
  const std::vector<std::uint32_t> attempts{1, 1, 1, 3, 1, 3};
  const auto s = settle(answer, attempts, 3);
  REQUIRE(s.accepted.size() == 1);
  CHECK(s.accepted[0].index == 0);
  CHECK(s.accepted[0].id == "doc_a");
  CHECK(s.retry == std::vector<std::size_t>{2, 4});
  // Only the item the service judged is refused for good.
  REQUIRE(s.rejected.size() == 1);
  CHECK(s.rejected[0].index == 1);
  CHECK(s.rejected[0].status == 422);
  CHECK(s.rejected[0].error == "invalid_field");
  CHECK(s.rejected[0].message == "title: too long");
  // Out of attempts while the service said "not now" (or nothing usable): not
  // delivered, never a reject.
  REQUIRE(s.exhausted.size() == 2);
  CHECK(s.exhausted[0].index == 3);
  CHECK(s.exhausted[0].status == 429);
  CHECK(s.exhausted[0].message.find("not delivered after 3 attempts") != std::string::npos);
  CHECK(s.exhausted[1].index == 5);
  CHECK(s.exhausted[1].status == 0);
  CHECK(s.exhausted[1].error == "missing_result");
  CHECK(s.rate_limited == 1);

  std::set<std::size_t> seen;
  for (const auto& a : s.accepted) CHECK(seen.insert(a.index).second);
  for (const auto i : s.retry) CHECK(seen.insert(i).second);
  for (const auto& r : s.rejected) CHECK(seen.insert(r.index).second);
  for (const auto& r : s.exhausted) CHECK(seen.insert(r.index).second);
  CHECK(seen.size() == attempts.size());
}

TEST_CASE("whole-batch failures: resend, split, refuse or stop — every wait bounded", "[ingest][outcome]") {
  using codex::errc;
  using codex::error_info;
  using codex::make_error_code;
  const auto status = [](int s, std::string code = {}) {
    return error_info{.code = make_error_code(codex::errc_from_status(s)), .http_status = s, .service_code = std::move(code)};
  };
  const auto transport = [](errc e) { return error_info{.code = make_error_code(e)}; };
  for (int s : {408, 409, 429, 500, 502, 503, 504}) CHECK(is_transient_batch_failure(status(s)));
  for (int s : {400, 401, 403, 404, 413, 422}) CHECK_FALSE(is_transient_batch_failure(status(s)));
  CHECK(is_transient_batch_failure(status(409, "request_in_progress")));
  for (errc e : {errc::connection_reset, errc::connection_closed, errc::timeout, errc::connect_failed,
                 errc::retry_budget_exhausted, errc::deadline_too_short, errc::token_unavailable, errc::io_error}) {
    CHECK(is_transient_batch_failure(transport(e)));
  }
  for (errc e : {errc::certificate_rejected, errc::host_name_mismatch, errc::credentials_rejected,
                 errc::cancelled, errc::invalid_argument, errc::response_too_large}) {
    CHECK_FALSE(is_transient_batch_failure(transport(e)));
  }
  // A 200 whose body did not decode: transient.
  CHECK(is_transient_batch_failure(error_info{.code = make_error_code(errc::decode_error), .http_status = 200}));
  // A 429 whose Retry-After outlived the call's deadline: still transient.
  CHECK(is_transient_batch_failure(error_info{.code = make_error_code(errc::deadline_too_short), .http_status = 429}));

  const batch_retry_limits limits{.max_attempts = 3, .max_wait = 10s, .backoff = {.initial = 100ms, .max = 1s}};
  constexpr auto plenty = std::chrono::milliseconds(600s);
  auto d = decide_batch_failure(status(503), 100, 1, plenty, limits, ~0ull);
  CHECK(d.action == batch_action::resend);
  CHECK(d.delay <= 100ms);
  auto with_retry_after = status(429);
  with_retry_after.retry_after = 5s;
  d = decide_batch_failure(with_retry_after, 100, 2, plenty, limits, 0);
  CHECK(d.action == batch_action::resend);
  CHECK(d.delay == 5s);
  // Out of attempts: the job stops (the items are not delivered, never rejected).
  d = decide_batch_failure(status(503), 100, 3, plenty, limits, 0);
  CHECK(d.action == batch_action::stop);
  CHECK(std::string(d.why).find("every attempt") != std::string::npos);
  // A Retry-After of hours (or years) is not slept: the job stops at once.
  with_retry_after.retry_after = std::chrono::hours(24 * 365);
  d = decide_batch_failure(with_retry_after, 100, 1, plenty, limits, 0);
  CHECK(d.action == batch_action::stop);
  CHECK(std::string(d.why).find("Retry-After") != std::string::npos);
  with_retry_after.retry_after = 10s;  // exactly max_wait is still waited for
  CHECK(decide_batch_failure(with_retry_after, 100, 1, plenty, limits, 0).action == batch_action::resend);
  // A wait that would end past the batch's deadline: stop.
  with_retry_after.retry_after = 5s;
  d = decide_batch_failure(with_retry_after, 100, 1, 4s, limits, 0);
  CHECK(d.action == batch_action::stop);
  CHECK(std::string(d.why).find("deadline") != std::string::npos);
  // A whole body refused for its content: halves until the one item at fault.
  for (int s : {400, 413, 422}) {
    CHECK(decide_batch_failure(status(s), 2, 1, plenty, limits, 0).action == batch_action::split);
    CHECK(decide_batch_failure(status(s), 1, 1, plenty, limits, 0).action == batch_action::refuse);
  }
  // A 400 from the token endpoint is about the credential, not the items: no split.
  const error_info token_refused{.code = make_error_code(errc::credentials_rejected), .http_status = 400};
  CHECK_FALSE(is_refused_content(token_refused));
  CHECK(decide_batch_failure(token_refused, 100, 1, plenty, limits, 0).action == batch_action::stop);
  // The credential, the address, the certificate: the job stops, nothing is rejected.
  for (const auto& failure : {status(401, "invalid_token"), status(403, "insufficient_scope"), status(404),
                              transport(errc::certificate_rejected), transport(errc::credentials_rejected),
                              transport(errc::cancelled)}) {
    d = decide_batch_failure(failure, 100, 1, plenty, limits, 0);
    CHECK(d.action == batch_action::stop);
    CHECK(std::string(d.why).empty());
  }

  // The rounds of items answered 408/409/429/5xx: backoff, capped by max_wait and the deadline.
  const batch_retry_limits slow{.max_attempts = 3, .max_wait = 2s, .backoff = {.initial = 1s, .max = 60s}};
  d = decide_item_round(2, plenty, slow, ~0ull);
  CHECK(d.action == batch_action::resend);
  CHECK(d.delay <= 1s);
  CHECK(decide_item_round(10, plenty, slow, ~0ull).delay == 2s);
  CHECK(decide_item_round(10, 1s, slow, ~0ull).action == batch_action::stop);

  auto r = rejection_from(status(413, "payload_too_large"), 7);
  CHECK(r.index == 7);
  CHECK(r.status == 413);
  CHECK(r.error == "payload_too_large");
  r = rejection_from(transport(errc::timeout), 2);
  CHECK(r.status == 0);
  CHECK(r.error == "timeout");
  CHECK_FALSE(r.message.empty());
}

TEST_CASE("derive_document_id is stable, distinct and well-formed", "[ingest][stable_id]") {
  const auto a = derive_document_id("job1", 0);
  CHECK(a == derive_document_id("job1", 0));
  CHECK(a.size() == 4 + 24);
  CHECK(a.rfind("doc_", 0) == 0);
  CHECK(a.find_first_not_of("0123456789abcdef", 4) == std::string::npos);
  CHECK(a != derive_document_id("job1", 1));
  CHECK(a != derive_document_id("job2", 0));
  std::set<std::string> ids;
  for (std::uint64_t p = 0; p < 10000; ++p) ids.insert(derive_document_id("job", p));
  CHECK(ids.size() == 10000);
  // Job ids from the input's identity: stable, distinct, usable as a journal's job id.
  const auto job = derive_job_id("/data/docs.jsonl");
  CHECK(job == derive_job_id("/data/docs.jsonl"));
  CHECK(job != derive_job_id("/data/other.jsonl"));
  CHECK(job.size() == 32);
  CHECK(job.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("reject_line: one JSON line with the original line as a string", "[ingest][rejects]") {
  const codex::rejected_item item{.position = 12, .status = 422, .error = "invalid_field",
                                  .message = "title: at most 512 bytes",
                                  .original = R"({"title":"x\ny"})"};
  CHECK(reject_line(item) ==
        R"({"position":12,"status":422,"error":"invalid_field","message":"title: at most 512 bytes","line":"{\"title\":\"x\\ny\"}"})");
  // Server text that is not UTF-8 gets U+FFFD; the original line is kept byte for byte.
  const codex::rejected_item bad{.position = 1, .message = std::string("a\xff") + "b",
                                 .original = std::string("a\xff") + "b"};
  CHECK(reject_line(bad) ==
        "{\"position\":1,\"status\":0,\"error\":\"\",\"message\":\"a\xEF\xBF\xBD" "b\",\"line_base64\":\"Yf9i\"}");
  CHECK(reject_line_position(reject_line(bad)) == 1u);
}
