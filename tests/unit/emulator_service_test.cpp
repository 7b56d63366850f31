// The emulator's request handler, called directly (no sockets) with a virtual clock:
// the status codes, headers and bodies of every route of the contract.

#include "emulator/service.hpp"

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <atomic>
#include <set>
#include <thread>

using namespace codex::emulator;
using namespace std::chrono_literals;
using codex::net::http_method;

namespace {

const auto t0 = std::chrono::system_clock::time_point{std::chrono::seconds(1'800'000'000)};
constexpr const char* admin = "adm_test";

using header_pairs = std::vector<std::pair<std::string, std::string>>;

struct harness {
  std::chrono::system_clock::time_point now = t0;
  service api;

  explicit harness(service_options options = {}) : api(with_admin(std::move(options)), [this] { return now; }) {}

  static service_options with_admin(service_options o) {
    o.admin_token = admin;
    return o;
  }

  response_plan call(http_method method, std::string target, header_pairs headers = {}, std::string body = {},
                     std::string remote = "127.0.0.1") {
    codex::net::codec::server_request req;
    req.method = method;
    req.method_text = std::string(codex::net::to_string(method));
    req.target = std::move(target);
    for (auto& [k, v] : headers) req.headers.add(k, v);
    req.body.reserve(body.size() + codex::net::body_padding);  // as the server hands it over
    req.body = std::move(body);
    req.body.reserve(req.body.size() + codex::net::body_padding);
    const request_context ctx{.remote_address = std::move(remote), .connection_id = 1, .request_on_connection = 1};
    return api.handle(req, ctx);
  }

  header_pairs key() const { return {{"X-API-Key", api.seeded().api_key}}; }
  header_pairs read_only_key() const { return {{"X-API-Key", api.seeded().read_only_api_key}}; }
  header_pairs admin_headers() const { return {{"X-Emulator-Admin", admin}}; }

  std::string token(const std::string& scope = {}) {
    std::string body = R"({"client_id":")" + api.seeded().client_id + R"(","client_secret":")" +
                       api.seeded().client_secret + '"';
    if (!scope.empty()) body += R"(,"scope":")" + scope + '"';
    body += '}';
    const auto plan = call(http_method::post, "/v1/auth/token", {}, body);
    REQUIRE(plan.status == 200);
    return text(plan.body, "/access_token");
  }

  response_plan create(header_pairs who, std::string body) {
    who.emplace_back("Content-Type", "application/json");
    return call(http_method::post, "/v1/documents", std::move(who), std::move(body));
  }

  static std::string text(const std::string& json, const char* pointer) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json);
    auto doc = parser.iterate(padded);
    std::string_view v;
    if (doc.at_pointer(pointer).get_string().get(v)) return "<missing " + std::string(pointer) + ">";
    return std::string(v);
  }

  static std::int64_t number(const std::string& json, const char* pointer) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json);
    auto doc = parser.iterate(padded);
    std::int64_t v = -1;
    if (doc.at_pointer(pointer).get_int64().get(v)) return -999;
    return v;
  }

  static std::size_t count(const std::string& json, const char* pointer) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json);
    auto doc = parser.iterate(padded);
    simdjson::ondemand::array arr;
    std::size_t n = 0;
    if (doc.at_pointer(pointer).get_array().get(arr) || arr.count_elements().get(n)) return 99999;
    return n;
  }
};

std::string header(const response_plan& plan, std::string_view name) {
  const auto v = plan.headers.find(name);
  return v ? std::string(*v) : std::string("<none>");
}

void check_error(const response_plan& plan, int status, const std::string& code) {
  INFO(plan.body);
  CHECK(plan.status == status);
  CHECK(harness::number(plan.body, "/status") == status);
  CHECK(harness::text(plan.body, "/error") == code);
  CHECK(harness::text(plan.body, "/message") != "<missing /message>");
  CHECK(header(plan, "Content-Type") == "application/json");
  CHECK(header(plan, "X-Request-Id").starts_with("req_"));
}

std::string basic(const std::string& key) {
  static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = key + ":";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += a[v >> s & 63];
  }
  if (i < in.size()) {
    const bool two = in.size() - i == 2;
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0);
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    out += two ? a[v >> 6 & 63] : '=';
    out += '=';
  }
  return "Basic " + out;
}

}  // namespace

TEST_CASE("authentication: Basic, X-API-Key, Bearer, anonymous", "[emulator][service]") {
  harness h;
  auto plan = h.call(http_method::get, "/v1/account");
  check_error(plan, 401, "unauthenticated");
  CHECK(header(plan, "WWW-Authenticate") == R"(Bearer realm="codex")");

  plan = h.call(http_method::get, "/v1/account", {{"Authorization", basic(h.api.seeded().api_key)}});
  REQUIRE(plan.status == 200);
  CHECK(harness::text(plan.body, "/project/id") == h.api.seeded().project_id);
  CHECK(harness::text(plan.body, "/project/permission") == "read_write");
  CHECK(harness::text(plan.body, "/credential/type") == "api_key");
  CHECK(harness::text(plan.body, "/credential/prefix") == h.api.seeded().api_key.substr(0, 8));
  CHECK(harness::text(plan.body, "/scopes/1") == "write");
  CHECK(header(plan, "X-RateLimit-Limit") == "1000");
  CHECK(header(plan, "X-RateLimit-Remaining") == "999");

  plan = h.call(http_method::get, "/v1/account", h.read_only_key());
  REQUIRE(plan.status == 200);
  CHECK(harness::text(plan.body, "/project/permission") == "read");
  CHECK(harness::count(plan.body, "/scopes") == 1);

  plan = h.call(http_method::get, "/v1/account", {{"X-API-Key", "cdx_" + std::string(40, 'a')}});
  check_error(plan, 401, "invalid_api_key");
  plan = h.call(http_method::get, "/v1/account", {{"Authorization", "Basic !!!"}});
  check_error(plan, 401, "invalid_credentials");
  plan = h.call(http_method::get, "/v1/documents", {{"Authorization", "Bearer not.a.token"}});
  check_error(plan, 401, "invalid_token");
  CHECK(header(plan, "WWW-Authenticate") == R"(Bearer error="invalid_token")");

  plan = h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + h.token()}});
  REQUIRE(plan.status == 200);
  CHECK(harness::text(plan.body, "/credential/id") == h.api.seeded().client_id);
  CHECK(harness::text(plan.body, "/credential/type") == "client");
}

TEST_CASE("POST /auth/token", "[emulator][service]") {
  harness h;
  const auto& seed = h.api.seeded();
  const std::string good = R"({"client_id":")" + seed.client_id + R"(","client_secret":")" + seed.client_secret + "\"}";
  auto plan = h.call(http_method::post, "/v1/auth/token", {}, good);
  REQUIRE(plan.status == 200);
  CHECK(harness::text(plan.body, "/token_type") == "Bearer");
  CHECK(harness::number(plan.body, "/expires_in") == 3600);
  CHECK(harness::text(plan.body, "/scope") == "read write");
  CHECK(harness::text(plan.body, "/access_token").starts_with("eyJ"));
  CHECK(header(plan, "Cache-Control") == "no-store");
  CHECK(h.api.stats().at(seed.client_id).tokens_issued == 1);

  plan = h.call(http_method::post, "/v1/auth/token", {},
                R"({"client_id":")" + seed.client_id + R"(","client_secret":"cs_wrong"})");
  check_error(plan, 401, "invalid_client");
  check_error(h.call(http_method::post, "/v1/auth/token", {}, "{not json"), 400, "invalid_request");
  check_error(h.call(http_method::post, "/v1/auth/token", {}, R"({"client_id":"x"})"), 400, "invalid_request");
  check_error(h.call(http_method::post, "/v1/auth/token", {}, R"({"client_id":1,"client_secret":"y"})"), 400,
              "invalid_request");
  plan = h.call(http_method::post, "/v1/auth/token", {},
                R"({"client_id":")" + seed.client_id + R"(","client_secret":")" + seed.client_secret +
                    R"(","scope":"read admin"})");
  check_error(plan, 400, "invalid_scope");
  check_error(h.call(http_method::get, "/v1/auth/token"), 405, "method_not_allowed");
}

TEST_CASE("token scopes, expiry and revocation", "[emulator][service]") {
  harness h;
  const std::string read_only = h.token("read");
  auto plan = h.create({{"Authorization", "Bearer " + read_only}}, R"({"title":"x"})");
  check_error(plan, 403, "insufficient_scope");
  CHECK(h.call(http_method::get, "/v1/documents", {{"Authorization", "Bearer " + read_only}}).status == 200);

  const std::string full = h.token();
  CHECK(h.create({{"Authorization", "Bearer " + full}}, R"({"title":"x"})").status == 201);

  h.now += 3599s;
  CHECK(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + full}}).status == 200);
  h.now += 1s;  // exp reached
  plan = h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + full}});
  check_error(plan, 401, "invalid_token");
  CHECK(header(plan, "WWW-Authenticate") == R"(Bearer error="invalid_token")");

  // Regenerating the secret revokes the tokens issued before, and the old secret.
  const std::string fresh = h.token();
  CHECK(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + fresh}}).status == 200);
  plan = h.call(http_method::post, "/_emulator/keys/" + h.api.seeded().client_id + "/regenerate", h.admin_headers());
  REQUIRE(plan.status == 200);
  const std::string new_secret = harness::text(plan.body, "/client_secret");
  check_error(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + fresh}}), 401, "invalid_token");
  check_error(h.call(http_method::post, "/v1/auth/token", {},
                     R"({"client_id":")" + h.api.seeded().client_id + R"(","client_secret":")" +
                         h.api.seeded().client_secret + "\"}"),
              401, "invalid_client");
  plan = h.call(http_method::post, "/v1/auth/token", {},
                R"({"client_id":")" + h.api.seeded().client_id + R"(","client_secret":")" + new_secret + "\"}");
  CHECK(plan.status == 200);
}

TEST_CASE("token TTL and rate limit come from the options", "[emulator][service]") {
  service_options o;
  o.token_ttl = 1s;
  harness h{o};
  const std::string t = h.token();
  CHECK(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + t}}).status == 200);
  h.now += 1s;
  CHECK(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + t}}).status == 401);
}

TEST_CASE("documents: create, get, patch, delete and visibility", "[emulator][service]") {
  harness h;
  auto plan = h.create(h.key(), R"({"title":"hello","body":"b","tags":["a","b"],"metadata":{"k":"v","n":3,"ok":true,"x":null,"f":0.5}})");
  REQUIRE(plan.status == 201);
  const std::string id = harness::text(plan.body, "/id");
  CHECK(id.starts_with("doc_"));
  CHECK(id.size() == 30);
  CHECK(harness::text(plan.body, "/project_id") == h.api.seeded().project_id);
  CHECK(harness::number(plan.body, "/version") == 1);
  CHECK(harness::number(plan.body, "/metadata/n") == 3);
  CHECK(harness::text(plan.body, "/created_at") == "2027-01-15T08:00:00Z");

  plan = h.call(http_method::get, "/v1/documents/" + id, h.key());
  REQUIRE(plan.status == 200);
  CHECK(harness::text(plan.body, "/title") == "hello");
  check_error(h.call(http_method::get, "/v1/documents/" + id, h.read_only_key()), 404, "not_found");
  check_error(h.call(http_method::get, "/v1/documents/" + id), 404, "not_found");
  check_error(h.call(http_method::get, "/v1/documents/doc_missing", h.key()), 404, "not_found");

  h.now += 5s;
  plan = h.call(http_method::patch, "/v1/documents/" + id, {{"X-API-Key", h.api.seeded().api_key}, {"If-Match", "2"}},
                R"({"title":"changed"})");
  check_error(plan, 409, "version_conflict");
  plan = h.call(http_method::patch, "/v1/documents/" + id, {{"X-API-Key", h.api.seeded().api_key}, {"If-Match", "\"1\""}},
                R"({"title":"changed","public":true})");
  REQUIRE(plan.status == 200);
  CHECK(harness::number(plan.body, "/version") == 2);
  CHECK(harness::text(plan.body, "/body") == "b");
  CHECK(harness::text(plan.body, "/updated_at") == "2027-01-15T08:00:05Z");
  check_error(h.call(http_method::patch, "/v1/documents/" + id, {{"X-API-Key", h.api.seeded().api_key}, {"If-Match", "x"}},
                     "{}"),
              400, "invalid_request");

  // Public now: everyone reads it, only its project writes it.
  CHECK(h.call(http_method::get, "/v1/documents/" + id).status == 200);
  CHECK(h.call(http_method::get, "/v1/documents/" + id, h.read_only_key()).status == 200);
  check_error(h.call(http_method::delete_, "/v1/documents/" + id, h.read_only_key()), 403, "insufficient_scope");
  check_error(h.call(http_method::delete_, "/v1/documents/" + id), 401, "unauthenticated");

  plan = h.call(http_method::delete_, "/v1/documents/" + id, h.key());
  CHECK(plan.status == 204);
  CHECK(plan.body.empty());
  check_error(h.call(http_method::delete_, "/v1/documents/" + id, h.key()), 404, "not_found");
  check_error(h.call(http_method::get, "/v1/documents/" + id, h.key()), 404, "not_found");
}

TEST_CASE("documents: upsert with a client id", "[emulator][service]") {
  harness h;
  auto plan = h.create(h.key(), R"({"id":"my-doc.1","title":"a"})");
  REQUIRE(plan.status == 201);
  CHECK(harness::text(plan.body, "/id") == "my-doc.1");
  plan = h.create(h.key(), R"({"id":"my-doc.1","title":"b"})");
  REQUIRE(plan.status == 200);
  CHECK(harness::number(plan.body, "/version") == 2);
  check_error(h.create(h.key(), R"({"id":"bad id!"})"), 422, "invalid_field");
}

TEST_CASE("documents: malformed JSON is 400, invalid fields 422", "[emulator][service]") {
  harness h;
  check_error(h.create(h.key(), "{\"title\":"), 400, "invalid_json");
  check_error(h.create(h.key(), ""), 400, "invalid_json");
  check_error(h.create(h.key(), "[1,2]"), 400, "invalid_json");
  check_error(h.create(h.key(), R"({"title":"a"} {"title":"b"})"), 400, "invalid_json");
  check_error(h.create(h.key(), R"({"title":"a"}})"), 400, "invalid_json");
  check_error(h.create(h.key(), R"({"title":5})"), 422, "invalid_field");
  check_error(h.create(h.key(), R"({"tags":"a"})"), 422, "invalid_field");
  check_error(h.create(h.key(), R"({"tags":[1]})"), 422, "invalid_field");
  check_error(h.create(h.key(), R"({"public":"yes"})"), 422, "invalid_field");
  check_error(h.create(h.key(), R"({"metadata":{"a":{"b":1}}})"), 422, "invalid_field");
  check_error(h.create(h.key(), R"({"title":")" + std::string(513, 'x') + "\"}"), 422, "invalid_field");
  CHECK(h.create(h.key(), R"({"title":")" + std::string(512, 'x') + "\"}").status == 201);
  check_error(h.create(h.key(), R"({"body":")" + std::string((1u << 20) + 1, 'x') + "\"}"), 422, "invalid_field");
  CHECK(h.create(h.key(), R"({"body":")" + std::string(1u << 20, 'x') + "\"}").status == 201);

  std::string tags = R"({"tags":[)";
  for (int i = 0; i < 65; ++i) tags += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  check_error(h.create(h.key(), tags + "]}"), 422, "invalid_field");
  std::string meta = R"({"metadata":{)";
  for (int i = 0; i < 65; ++i) meta += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  check_error(h.create(h.key(), meta + "}}"), 422, "invalid_field");
  check_error(h.create(h.read_only_key(), R"({"title":"x"})"), 403, "insufficient_scope");
  check_error(h.create({}, R"({"title":"x"})"), 401, "unauthenticated");
}

TEST_CASE("listing: limits, cursors, tags, anonymous sees public only", "[emulator][service]") {
  harness h;
  for (int i = 0; i < 25; ++i) {
    const std::string pub = i % 5 == 0 ? "true" : "false";
    const std::string tag = i % 2 == 0 ? R"(["even"])" : "[]";
    REQUIRE(h.create(h.key(), R"({"title":"d)" + std::to_string(i) + R"(","public":)" + pub + R"(,"tags":)" + tag + "}")
                .status == 201);
  }
  check_error(h.call(http_method::get, "/v1/documents?limit=0", h.key()), 400, "invalid_request");
  check_error(h.call(http_method::get, "/v1/documents?limit=1001", h.key()), 400, "invalid_request");
  check_error(h.call(http_method::get, "/v1/documents?limit=x", h.key()), 400, "invalid_request");
  check_error(h.call(http_method::get, "/v1/documents?cursor=nope", h.key()), 400, "invalid_cursor");

  std::set<std::string> titles;
  std::string cursor;
  int pages = 0;
  for (;;) {
    const auto plan = h.call(http_method::get, "/v1/documents?limit=10" + (cursor.empty() ? "" : "&cursor=" + cursor), h.key());
    REQUIRE(plan.status == 200);
    for (std::size_t i = 0; i < harness::count(plan.body, "/data"); ++i) {
      titles.insert(harness::text(plan.body, ("/data/" + std::to_string(i) + "/title").c_str()));
    }
    ++pages;
    cursor = harness::text(plan.body, "/next_cursor");
    if (cursor.starts_with("<missing")) break;  // null
  }
  CHECK(titles.size() == 25);
  CHECK(pages == 3);

  auto plan = h.call(http_method::get, "/v1/documents?limit=1000&tag=even", h.key());
  CHECK(harness::count(plan.body, "/data") == 13);
  plan = h.call(http_method::get, "/v1/documents");
  REQUIRE(plan.status == 200);
  CHECK(harness::count(plan.body, "/data") == 5);
  CHECK(header(plan, "X-RateLimit-Limit") == "<none>");  // anonymous
  plan = h.call(http_method::get, "/v1/documents", h.read_only_key());
  CHECK(harness::count(plan.body, "/data") == 0);  // another project's documents are not listed
}

TEST_CASE("batch: per-item results, partial failure, limits", "[emulator][service]") {
  harness h;
  auto plan = h.call(http_method::post, "/v1/documents/batch", h.key(),
                     R"({"items":[{"title":"a"},{"title":7},"x",{"id":"fixed","title":"b"},{"tags":[)" +
                         std::string("\"t\",") + R"("u"]}]})");
  REQUIRE(plan.status == 200);
  CHECK(harness::number(plan.body, "/succeeded") == 3);
  CHECK(harness::number(plan.body, "/failed") == 2);
  CHECK(harness::number(plan.body, "/results/0/index") == 0);
  CHECK(harness::number(plan.body, "/results/0/status") == 201);
  CHECK(harness::text(plan.body, "/results/0/id").starts_with("doc_"));
  CHECK(harness::number(plan.body, "/results/1/status") == 422);
  CHECK(harness::text(plan.body, "/results/1/error/error") == "invalid_field");
  CHECK(harness::number(plan.body, "/results/2/status") == 422);
  CHECK(harness::text(plan.body, "/results/3/id") == "fixed");
  CHECK(h.api.stats().at(h.api.seeded().api_key_id).batch_items_accepted == 3);

  std::string big = R"({"items":[)";
  for (int i = 0; i < 1001; ++i) big += i ? ",{}" : "{}";
  check_error(h.call(http_method::post, "/v1/documents/batch", h.key(), big + "]}"), 413, "payload_too_large");
  check_error(h.call(http_method::post, "/v1/documents/batch", h.key(), R"({"items":{}})"), 400, "invalid_request");
  check_error(h.call(http_method::post, "/v1/documents/batch", h.key(), R"({"things":[]})"), 400, "invalid_request");
  check_error(h.call(http_method::post, "/v1/documents/batch", h.key(), R"({"items":[{"title":"a"},)"), 400, "invalid_json");
  check_error(h.call(http_method::post, "/v1/documents/batch", h.read_only_key(), R"({"items":[]})"), 403,
              "insufficient_scope");
  const std::string over(8u << 20, ' ');
  check_error(h.call(http_method::post, "/v1/documents/batch", h.key(), R"({"items":[]})" + over), 413,
              "payload_too_large");
}

TEST_CASE("batch_get: found, missing and hidden", "[emulator][service]") {
  harness h;
  const std::string mine = harness::text(h.create(h.key(), R"({"title":"a"})").body, "/id");
  const std::string pub = harness::text(h.create(h.key(), R"({"title":"b","public":true})").body, "/id");
  auto plan = h.call(http_method::post, "/v1/documents/batch_get", h.read_only_key(),
                     R"({"ids":[")" + mine + R"(",")" + pub + R"(","nope"]})");
  REQUIRE(plan.status == 200);
  CHECK(harness::count(plan.body, "/data") == 1);
  CHECK(harness::text(plan.body, "/data/0/id") == pub);
  CHECK(harness::count(plan.body, "/missing") == 2);
  CHECK(harness::text(plan.body, "/missing/0") == mine);

  plan = h.call(http_method::post, "/v1/documents/batch_get", h.key(), R"({"ids":[")" + mine + "\"]}");
  CHECK(harness::count(plan.body, "/data") == 1);
  std::string many = R"({"ids":[)";
  for (int i = 0; i < 1001; ++i) many += i ? ",\"x\"" : "\"x\"";
  check_error(h.call(http_method::post, "/v1/documents/batch_get", h.key(), many + "]}"), 413, "payload_too_large");
  check_error(h.call(http_method::post, "/v1/documents/batch_get", h.key(), R"({"ids":[1]})"), 400, "invalid_request");
}

TEST_CASE("rate limit: 429 with Retry-After, X-RateLimit-*, refill", "[emulator][service]") {
  harness h;
  auto plan = h.call(http_method::post, "/_emulator/config", h.admin_headers(),
                     R"({"rate_limit":{"limit":2,"window":60}})");
  REQUIRE(plan.status == 200);
  CHECK(h.call(http_method::get, "/v1/account", h.key()).status == 200);
  plan = h.call(http_method::post, "/v1/documents/batch", h.key(), R"({"items":[{},{},{},{}]})");
  CHECK(plan.status == 200);  // four items, one request
  CHECK(header(plan, "X-RateLimit-Remaining") == "0");
  plan = h.call(http_method::get, "/v1/account", h.key());
  check_error(plan, 429, "rate_limited");
  CHECK(header(plan, "Retry-After") == "30");
  CHECK(header(plan, "X-RateLimit-Limit") == "2");
  CHECK(header(plan, "X-RateLimit-Remaining") == "0");
  CHECK(header(plan, "X-RateLimit-Reset") == "60");
  // Another key has its own bucket.
  CHECK(h.call(http_method::get, "/v1/account", h.read_only_key()).status == 200);
  h.now += 29s;
  CHECK(h.call(http_method::get, "/v1/account", h.key()).status == 429);
  CHECK(header(h.call(http_method::get, "/v1/account", h.key()), "Retry-After") == "1");
  h.now += 1s;
  CHECK(h.call(http_method::get, "/v1/account", h.key()).status == 200);
  const auto stats = h.api.stats().at(h.api.seeded().api_key_id);
  CHECK(stats.rate_limited == 3);
  CHECK(stats.requests == 6);
  CHECK(stats.ok == 3);

  plan = h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"retry_after_format":"http-date"})");
  REQUIRE(plan.status == 200);
  h.call(http_method::get, "/v1/account", h.key());
  h.call(http_method::get, "/v1/account", h.key());
  plan = h.call(http_method::get, "/v1/account", h.key());
  REQUIRE(plan.status == 429);
  CHECK(header(plan, "Retry-After") == "Fri, 15 Jan 2027 08:01:00 GMT");  // now (08:00:30) + 30 s
}

TEST_CASE("rate limit: the token endpoint and Bearer calls share the client's bucket", "[emulator][service]") {
  service_options o;
  o.rate_limit = {.limit = 2, .window = 60s, .burst = 0, .mode = limiter_mode::fixed_window};
  harness h{o};
  const std::string t = h.token();
  CHECK(h.call(http_method::get, "/v1/account", {{"Authorization", "Bearer " + t}}).status == 200);
  const auto plan = h.call(http_method::post, "/v1/auth/token", {},
                           R"({"client_id":")" + h.api.seeded().client_id + R"(","client_secret":")" +
                               h.api.seeded().client_secret + "\"}");
  check_error(plan, 429, "rate_limited");
  CHECK(header(plan, "Retry-After") == "60");  // the fixed window ends at 08:01:00; now is 08:00:00
}

TEST_CASE("rate limit: anonymous callers share a bucket per address", "[emulator][service]") {
  service_options o;
  o.anonymous_rate_limit.limit = 2;
  harness h{o};
  CHECK(h.call(http_method::get, "/v1/documents").status == 200);
  CHECK(h.call(http_method::get, "/v1/schema").status == 200);
  check_error(h.call(http_method::get, "/v1/documents"), 429, "rate_limited");
  CHECK(h.call(http_method::get, "/v1/documents", {}, {}, "10.0.0.2").status == 200);
}

TEST_CASE("Idempotency-Key replays the first response byte for byte", "[emulator][service]") {
  harness h;
  header_pairs with_key = h.key();
  with_key.emplace_back("Idempotency-Key", "create-1");
  const auto first = h.call(http_method::post, "/v1/documents", with_key, R"({"title":"once"})");
  REQUIRE(first.status == 201);
  h.now += 10s;
  const auto again = h.call(http_method::post, "/v1/documents", with_key, R"({"title":"once"})");
  CHECK(again.status == first.status);
  CHECK(again.body == first.body);
  REQUIRE(again.headers.size() == first.headers.size());
  auto a = again.headers.begin();
  for (const auto& f : first.headers) {
    CHECK(f == *a);
    ++a;
  }
  CHECK(harness::count(h.call(http_method::get, "/v1/documents", h.key()).body, "/data") == 1);

  // Another key, or another credential with the same key, is a new request.
  with_key.back().second = "create-2";
  CHECK(h.call(http_method::post, "/v1/documents", with_key, R"({"title":"once"})").body != first.body);
  h.now += 24h;
  with_key.back().second = "create-1";
  CHECK(h.call(http_method::post, "/v1/documents", with_key, R"({"title":"once"})").body != first.body);
}

TEST_CASE("routing: 404, 405, schema, JWKS", "[emulator][service]") {
  harness h;
  check_error(h.call(http_method::get, "/v1/nothing"), 404, "not_found");
  check_error(h.call(http_method::get, "/elsewhere"), 404, "not_found");
  auto plan = h.call(http_method::put, "/v1/documents", h.key());
  check_error(plan, 405, "method_not_allowed");
  CHECK(header(plan, "Allow") == "GET, HEAD, POST");

  codex::net::codec::server_request odd;
  odd.method_known = false;
  odd.method_text = "BREW";
  odd.target = "/v1/documents";
  CHECK(h.api.handle(odd, request_context{}).status == 405);

  plan = h.call(http_method::get, "/v1/schema");
  REQUIRE(plan.status == 200);
  CHECK(harness::count(plan.body, "/endpoints") == 10);
  plan = h.call(http_method::get, "/.well-known/jwks.json");
  REQUIRE(plan.status == 200);
  CHECK(plan.body == h.api.signer().jwks_json());
}

TEST_CASE("control API: admin token, projects, keys, regenerate, stats, reset", "[emulator][service]") {
  harness h;
  check_error(h.call(http_method::get, "/_emulator/stats"), 404, "not_found");
  check_error(h.call(http_method::get, "/_emulator/stats", {{"X-Emulator-Admin", "wrong"}}), 401, "invalid_admin_token");

  auto plan = h.call(http_method::post, "/_emulator/projects", h.admin_headers(), R"({"name":"ro","permission":"read"})");
  REQUIRE(plan.status == 201);
  const std::string project = harness::text(plan.body, "/id");
  CHECK(harness::text(plan.body, "/permission") == "read");
  check_error(h.call(http_method::post, "/_emulator/projects", h.admin_headers(), R"({"permission":"admin"})"), 422,
              "invalid_field");

  plan = h.call(http_method::post, "/_emulator/keys", h.admin_headers(), R"({"project_id":")" + project + R"(","type":"api_key"})");
  REQUIRE(plan.status == 201);
  const std::string key_id = harness::text(plan.body, "/id");
  const std::string key = harness::text(plan.body, "/api_key");
  CHECK(key.starts_with("cdx_"));
  CHECK(h.call(http_method::get, "/v1/account", {{"X-API-Key", key}}).status == 200);
  check_error(h.create({{"X-API-Key", key}}, R"({"title":"x"})"), 403, "insufficient_scope");
  check_error(h.call(http_method::post, "/_emulator/keys", h.admin_headers(), R"({"project_id":"prj_none"})"), 404,
              "not_found");

  plan = h.call(http_method::post, "/_emulator/keys", h.admin_headers(), R"({"project_id":")" + project + R"(","type":"client"})");
  REQUIRE(plan.status == 201);
  CHECK(harness::text(plan.body, "/client_id").starts_with("cid_"));
  CHECK(harness::text(plan.body, "/client_secret").starts_with("cs_"));

  plan = h.call(http_method::post, "/_emulator/keys/" + key_id + "/regenerate", h.admin_headers());
  REQUIRE(plan.status == 200);
  const std::string new_key = harness::text(plan.body, "/api_key");
  check_error(h.call(http_method::get, "/v1/account", {{"X-API-Key", key}}), 401, "invalid_api_key");
  CHECK(h.call(http_method::get, "/v1/account", {{"X-API-Key", new_key}}).status == 200);
  check_error(h.call(http_method::post, "/_emulator/keys/key_none/regenerate", h.admin_headers()), 404, "not_found");

  plan = h.call(http_method::get, "/_emulator/stats", h.admin_headers());
  REQUIRE(plan.status == 200);
  CHECK(harness::number(plan.body, ("/credentials/" + key_id + "/requests").c_str()) == 3);  // with the 403
  CHECK(harness::number(plan.body, ("/credentials/" + key_id + "/ok").c_str()) == 2);

  REQUIRE(h.create(h.key(), R"({"title":"x"})").status == 201);
  REQUIRE(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"token_ttl":5})").status == 200);
  plan = h.call(http_method::post, "/_emulator/reset", h.admin_headers());
  REQUIRE(plan.status == 200);
  CHECK(h.api.options().token_ttl == 3600s);
  check_error(h.call(http_method::get, "/v1/account", {{"X-API-Key", new_key}}), 401, "invalid_api_key");
  plan = h.call(http_method::get, "/v1/documents", h.key());  // seeded credentials survive
  REQUIRE(plan.status == 200);
  CHECK(harness::count(plan.body, "/data") == 0);
  check_error(h.call(http_method::get, "/_emulator/reset", h.admin_headers()), 405, "method_not_allowed");
}

TEST_CASE("control API: config updates are partial and validated", "[emulator][service]") {
  harness h;
  auto plan = h.call(http_method::post, "/_emulator/config", h.admin_headers(),
                     R"({"token_ttl":60,"rate_limit":{"limit":5,"mode":"fixed-window"},"faults":{"latency_ms":7}})");
  REQUIRE(plan.status == 200);
  auto o = h.api.options();
  CHECK(o.token_ttl == 60s);
  CHECK(o.rate_limit.limit == 5);
  CHECK(o.rate_limit.window == 60s);  // untouched
  CHECK(o.rate_limit.mode == limiter_mode::fixed_window);
  CHECK(o.faults.latency == 7ms);
  CHECK(harness::number(plan.body, "/rate_limit/limit") == 5);
  CHECK(harness::text(plan.body, "/rate_limit/mode") == "fixed-window");

  check_error(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"faults":{"p500":2}})"), 422,
              "invalid_config");
  check_error(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"token_ttl":60,"nope":1})"), 422,
              "invalid_config");
  check_error(h.call(http_method::post, "/_emulator/config", h.admin_headers(), "{"), 400, "invalid_config");
  CHECK(h.api.options().token_ttl == 60s);  // a refused update changes nothing
  plan = h.call(http_method::get, "/_emulator/config", h.admin_headers());
  CHECK(harness::number(plan.body, "/token_ttl") == 60);
  CHECK(plan.body.find(admin) == std::string::npos);
}

TEST_CASE("faults: 500, 503, drop, truncate, latency, token endpoint", "[emulator][service]") {
  harness h;
  auto set = [&](const std::string& faults) {
    REQUIRE(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"faults":)" + faults + "}").status == 200);
  };
  set(R"({"p500":1})");
  check_error(h.call(http_method::get, "/v1/account", h.key()), 500, "internal_error");
  set(R"({"p500":0,"p503":1})");
  check_error(h.call(http_method::get, "/v1/account", h.key()), 503, "unavailable");
  CHECK(h.api.options().faults.p500 == 0);

  set(R"({"p503":0,"p_drop":1})");
  auto plan = h.call(http_method::get, "/v1/account", h.key());
  CHECK(plan.status == 200);
  REQUIRE(plan.cut_after);
  CHECK(plan.reset);
  CHECK(*plan.cut_after > 0);
  CHECK(*plan.cut_after < plan.body.size() + 100);

  set(R"({"p_drop":0,"p_truncate":1,"latency_ms":25})");
  plan = h.call(http_method::get, "/v1/account", h.key());
  REQUIRE(plan.cut_after);
  CHECK_FALSE(plan.reset);
  CHECK(*plan.cut_after > 100);  // past the head, inside the body
  CHECK(plan.delay == 25ms);
  // The control API is never faulty.
  CHECK_FALSE(h.call(http_method::get, "/_emulator/stats", h.admin_headers()).cut_after);

  set(R"({"p_truncate":0,"latency_ms":0,"token_delay_ms":300})");
  const std::string creds = R"({"client_id":")" + h.api.seeded().client_id + R"(","client_secret":")" +
                            h.api.seeded().client_secret + "\"}";
  plan = h.call(http_method::post, "/v1/auth/token", {}, creds);
  CHECK(plan.status == 200);
  CHECK(plan.delay == 300ms);
  set(R"({"token_fail":true})");
  check_error(h.call(http_method::post, "/v1/auth/token", {}, creds), 503, "unavailable");
}

TEST_CASE("control API: faults.fail_step arms the step knob, stats report it, reset disarms", "[emulator][service]") {
  harness h;
  auto stats = [&] { return h.call(http_method::get, "/_emulator/stats", h.admin_headers()).body; };
  CHECK(stats().find(R"("fail_step":null)") != std::string::npos);
  REQUIRE(h.call(http_method::post, "/_emulator/config", h.admin_headers(),
                 R"({"faults":{"fail_step":{"n":4,"action":"stall"}}})").status == 200);
  // Armed with a fresh count; not kept among the options (a second update would re-arm it).
  CHECK_FALSE(h.api.options().faults.fail_step);
  auto& knob = *h.api.step_faults();
  CHECK(knob.on_step(knob.generation(), step_kind::accept) == step_action::none);
  auto body = stats();
  CHECK(harness::number(body, "/fail_step/n") == 4);
  CHECK(harness::text(body, "/fail_step/action") == "stall");
  CHECK(harness::number(body, "/fail_step/steps") == 1);
  CHECK(harness::text(body, "/fail_step/log/0") == "accept");

  check_error(h.call(http_method::post, "/_emulator/config", h.admin_headers(),
                     R"({"faults":{"fail_step":{"n":1,"action":"melt"}}})"),
              422, "invalid_config");
  CHECK(harness::number(stats(), "/fail_step/n") == 4);  // a refused update arms nothing

  REQUIRE(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"faults":{"fail_step":{"n":0}}})")
              .status == 200);
  CHECK_FALSE(knob.snapshot());
  REQUIRE(h.call(http_method::post, "/_emulator/config", h.admin_headers(), R"({"faults":{"fail_step":{"n":2}}})")
              .status == 200);
  CHECK(knob.snapshot()->fault().action == step_action::close);  // the default action
  REQUIRE(h.call(http_method::post, "/_emulator/reset", h.admin_headers()).status == 200);
  CHECK_FALSE(knob.snapshot());
}

TEST_CASE("concurrent requests from several threads", "[emulator][service][mt]") {
  service_options o;
  o.rate_limit.limit = 1'000'000;  // the virtual clock stands still
  harness h{o};
  constexpr int threads = 4, per_thread = 200;
  std::atomic<int> created{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        if (h.create(h.key(), R"({"title":"x"})").status == 201) ++created;
        h.call(http_method::get, "/v1/documents?limit=5", h.key());
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(created == threads * per_thread);
  const auto s = h.api.stats().at(h.api.seeded().api_key_id);
  CHECK(s.requests == threads * per_thread * 2);
  CHECK(s.ok == threads * per_thread * 2);
}
