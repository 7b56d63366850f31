#include <codex/error.hpp>
#include <codex/result.hpp>

#include <catch2/catch.hpp>

#include <string>

using codex::errc;

TEST_CASE("errc: a category with a message for every code", "[error]") {
  for (int value = static_cast<int>(errc::invalid_url); value <= static_cast<int>(errc::file_error); ++value) {
    std::error_code code = codex::make_error_code(static_cast<errc>(value));
    CHECK(code.category().name() == std::string("codex"));
    CHECK(code.message() != "unknown codex error");
  }
  std::error_code ec = errc::timeout;  // implicit through is_error_code_enum
  CHECK(ec == errc::timeout);
}

TEST_CASE("errc_from_status follows the contract's table", "[error]") {
  CHECK(codex::errc_from_status(400) == errc::bad_request);
  CHECK(codex::errc_from_status(401) == errc::unauthenticated);
  CHECK(codex::errc_from_status(403) == errc::permission_denied);
  CHECK(codex::errc_from_status(404) == errc::not_found);
  CHECK(codex::errc_from_status(409) == errc::conflict);
  CHECK(codex::errc_from_status(413) == errc::payload_too_large);
  CHECK(codex::errc_from_status(422) == errc::unprocessable);
  CHECK(codex::errc_from_status(429) == errc::rate_limited);
  CHECK(codex::errc_from_status(500) == errc::server_error);
  CHECK(codex::errc_from_status(503) == errc::server_error);
  CHECK(codex::errc_from_status(418) == errc::unexpected_status);
}

TEST_CASE("codex::error carries the details and a one-line what()", "[error]") {
  codex::error_info info{.code = errc::not_found, .http_status = 404, .service_code = "not_found",
                         .message = "no such document", .request_id = "req_42"};
  try {
    throw codex::error(info);
  } catch (const std::system_error& e) {  // catchable as its base
    CHECK(e.code() == errc::not_found);
    std::string what = e.what();
    CHECK(what == "not found (HTTP 404) [not_found]: no such document (request id req_42)");
  }
}

TEST_CASE("result<T>: value or error, value() throws codex::error", "[error]") {
  codex::result<int> ok = 7;
  REQUIRE(ok);
  CHECK(*ok == 7);
  CHECK_FALSE(ok.code());

  codex::result<int> bad = errc::rate_limited;
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::rate_limited);
  CHECK_THROWS_AS(bad.value(), codex::error);

  codex::result<void> done;
  CHECK(done);
  codex::result<void> failed = errc::timeout;
  CHECK_THROWS_AS(failed.value(), codex::error);
}

TEST_CASE("result<T> default-constructs to a value-initialized T, as std::expected", "[error]") {
  codex::result<int> r;
  REQUIRE(r.has_value());
  CHECK(*r == 0);
}
