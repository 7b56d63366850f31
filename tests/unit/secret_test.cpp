// codex::auth::secret: never printed, wiped, moved without leaving a copy behind.

#include <codex/auth/secret.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <utility>

using codex::auth::secret;

namespace {
const std::string api_key = "cdx_ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
const std::string client_secret = "cs_0011223344556677889900aabbccddeeff0011223344";
const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaWRfMSJ9.c2lnbmF0dXJl";

std::string streamed(const secret& s) {
  std::ostringstream out;
  out << s;
  return out.str();
}
}  // namespace

TEST_CASE("a secret streams and formats redacted", "[secret]") {
  CHECK(streamed(secret(api_key)) == "cdx_ab12***");
  CHECK(to_string(secret(api_key)) == "cdx_ab12***");
  CHECK(streamed(secret(client_secret)) == "cs_***");
  CHECK(streamed(secret(jwt)) == "***");
  CHECK(streamed(secret("hunter2")) == "***");
  CHECK(streamed(secret("cdx_short")) == "***");  // too short to show a prefix
  CHECK(streamed(secret()) == "***");
  std::ostringstream line;
  line << "calling with key=" << secret(api_key) << " and secret=" << secret(client_secret);
  CHECK(line.str().find(api_key) == std::string::npos);
  CHECK(line.str().find(client_secret) == std::string::npos);
  CHECK(line.str() == "calling with key=cdx_ab12*** and secret=cs_***");
}

TEST_CASE("reveal gives the value to the code that sends it", "[secret]") {
  const secret s(api_key);
  CHECK(s.reveal() == api_key);
  CHECK(s.size() == api_key.size());
  CHECK_FALSE(s.empty());
  CHECK(secret().reveal().empty());
  CHECK(secret().empty());
}

TEST_CASE("constructing from an rvalue string wipes the source", "[secret]") {
  std::string source = client_secret;
  const secret s(std::move(source));
  CHECK(s.reveal() == client_secret);
  CHECK(source.empty());  // NOLINT(bugprone-use-after-move): that is the point
  // A short value lives in the string's own buffer: it too must be gone.
  std::string small = "cs_tiny";
  const char* buffer = small.data();
  const secret t(std::move(small));
  CHECK(t.reveal() == "cs_tiny");
  CHECK(std::string_view(buffer, 7) != "cs_tiny");
}

TEST_CASE("moves leave the source empty; copies are independent", "[secret]") {
  secret a(api_key);
  secret b(std::move(a));
  CHECK(b.reveal() == api_key);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(a.reveal().empty());
  CHECK(streamed(a) == "***");

  secret c;
  c = std::move(b);
  CHECK(c.reveal() == api_key);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)

  secret d(c);
  CHECK(d == c);
  d = secret(client_secret);
  CHECK(d.reveal() == client_secret);
  CHECK(c.reveal() == api_key);
  d = c;
  CHECK(d.reveal() == api_key);
  auto& self = d;
  d = self;
  CHECK(d.reveal() == api_key);
}

TEST_CASE("equality compares values", "[secret]") {
  CHECK(secret("abc") == secret("abc"));
  CHECK_FALSE(secret("abc") == secret("abd"));
  CHECK_FALSE(secret("abc") == secret("abcd"));
  CHECK(secret() == secret(""));
}
