// POST /auth/token, GET /account, GET /schema.

#include "emulator/json_input.hpp"
#include "emulator/secrets.hpp"
#include "emulator/service_detail.hpp"

namespace codex::emulator {
namespace {

struct token_request {
  std::string client_id;
  std::string client_secret;
  std::optional<std::string> scope;
};

std::variant<token_request, api_error> parse_token_request(const std::string& body) {
  const api_error malformed{400, "invalid_request", "Expected {\"client_id\", \"client_secret\", \"scope\"?}"};
  json_body json{body};
  auto root = json.root();
  if (auto* e = std::get_if<api_error>(&root)) return api_error{400, "invalid_request", e->message};
  token_request out;
  for (auto field : std::get<simdjson::ondemand::object>(root)) {
    std::string_view key, value;
    if (field.unescaped_key().get(key)) return malformed;
    if (key != "client_id" && key != "client_secret" && key != "scope" && key != "grant_type") continue;
    if (field.value().get_string().get(value)) return malformed;
    if (key == "client_id") out.client_id = value;
    else if (key == "client_secret") out.client_secret = value;
    else if (key == "scope") out.scope = std::string(value);
    else if (value != "client_credentials") return api_error{400, "unsupported_grant_type", "Only client_credentials"};
  }
  if (json.finish() || out.client_id.empty() || out.client_secret.empty()) return malformed;
  return out;
}

// The granted scope: what was asked (default: all the project allows), each one
// known and allowed. nullopt: invalid_scope.
std::optional<std::string> grant_scope(const std::optional<std::string>& asked, permission access) {
  const bool may_write = access == permission::read_write;
  if (!asked) return may_write ? "read write" : "read";
  bool read = false, write = false;
  std::string_view rest = *asked;
  while (!rest.empty()) {
    const std::size_t sp = rest.find(' ');
    const std::string_view s = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    if (s.empty()) continue;
    if (s == "read") read = true;
    else if (s == "write" && may_write) write = true;
    else return std::nullopt;
  }
  if (!read && !write) return std::nullopt;
  return std::string(read ? "read" : "") + (read && write ? " " : "") + (write ? "write" : "");
}

}  // namespace

response_plan service::handle_token(call& c) {
  const service_options& opts = *c.options;
  if (opts.faults.token_fail) {
    response_plan plan = error_plan(503, "unavailable", "Injected fault: the token endpoint is unavailable");
    plan.delay = opts.faults.token_delay;
    return plan;
  }
  auto parsed = parse_token_request(c.request.body);
  if (auto* e = std::get_if<api_error>(&parsed)) return error_plan(*e);
  const token_request& req = std::get<token_request>(parsed);

  jwt_claims claims;
  rate_decision decision;
  {
    std::lock_guard lock{mutex_};
    const credential* cred = credentials_.authenticate_client(req.client_id, req.client_secret);
    const project* proj = cred ? credentials_.find_project(cred->project_id) : nullptr;
    if (proj == nullptr) return error_plan(401, "invalid_client", "Client authentication failed");
    decision = limiter_.decide(cred->id, std::chrono::duration_cast<limiter_time>(c.now.time_since_epoch()),
                               opts.rate_limit);
    auto& counters = stats_[cred->id];
    ++counters.requests;
    if (!decision.allowed) {
      ++counters.rate_limited;
    } else if (auto scope = grant_scope(req.scope, proj->access)) {
      ++counters.tokens_issued;
      ++counters.ok;
      const auto iat = std::chrono::duration_cast<std::chrono::seconds>(c.now.time_since_epoch()).count();
      claims = {.iss = opts.issuer, .sub = cred->id, .aud = opts.audience, .iat = iat,
                .exp = iat + opts.token_ttl.count(), .scope = std::move(*scope), .project = proj->id,
                .jti = random_hex(16), .gen = cred->generation};
    }
  }
  response_plan plan;
  if (!decision.allowed) {
    plan = error_plan(429, "rate_limited", "Too many requests: retry later");
    plan.headers.add("Retry-After", format_retry_after(decision.retry_after, c.now, opts.retry_after));
  } else if (claims.sub.empty()) {
    plan = error_plan(400, "invalid_scope", "The scope asks for more than the project allows");
  } else {
    const std::string token = signer_->sign(claims);  // RSA: outside the lock
    plan = json_plan(200, write_json([&](json::writer& w) {
      w.begin_object()
          .key("access_token").string(token)
          .key("token_type").string("Bearer")
          .key("expires_in").int64(opts.token_ttl.count())
          .key("scope").string(claims.scope)
          .end_object();
    }));
    plan.headers.add("Cache-Control", "no-store");
  }
  plan.headers.set("X-RateLimit-Limit", std::to_string(decision.limit));
  plan.headers.set("X-RateLimit-Remaining", std::to_string(decision.remaining));
  plan.headers.set("X-RateLimit-Reset", std::to_string(ceil_seconds(decision.reset)));
  plan.delay = opts.faults.token_delay;
  return plan;
}

response_plan service::handle_account(call&, const caller& who) {
  if (who.anonymous()) return unauthenticated_plan();
  project proj;
  {
    std::lock_guard lock{mutex_};
    const project* p = credentials_.find_project(who.project_id);
    if (p == nullptr) return not_found_plan();
    proj = *p;
  }
  return json_plan(200, write_json([&](json::writer& w) {
    w.begin_object()
        .key("project").begin_object()
        .key("id").string(proj.id)
        .key("name").string(proj.name)
        .key("permission").string(to_string(proj.access))
        .end_object()
        .key("credential").begin_object()
        .key("type").string(who.type == caller::kind::api_key ? "api_key" : "client")
        .key("id").string(who.credential_id)
        .key("prefix").string(who.prefix)
        .end_object()
        .key("scopes").begin_array();
    if (who.can_read) w.string("read");
    if (who.can_write) w.string("write");
    w.end_array().end_object();
  }));
}

response_plan service::handle_schema(call&) {
  struct endpoint {
    const char* method;
    const char* path;
    const char* auth;
    const char* description;
  };
  static constexpr endpoint endpoints[] = {
      {"POST", "/auth/token", "client credentials in the body", "Exchange client credentials for an RS256 access token"},
      {"GET", "/account", "required", "The project, credential and scopes of the caller"},
      {"GET", "/schema", "none", "This description"},
      {"GET", "/documents", "optional", "List documents: ?limit=1..1000&cursor=C&tag=T; anonymous callers see public ones"},
      {"POST", "/documents", "write", "Create a document (upsert with a client id); Idempotency-Key honoured"},
      {"GET", "/documents/{id}", "optional", "One document; 404 when missing or not visible"},
      {"PATCH", "/documents/{id}", "write", "Update fields; If-Match: <version> gives 409 on mismatch"},
      {"DELETE", "/documents/{id}", "write", "Delete a document"},
      {"POST", "/documents/batch", "write", "Create up to 1000 documents (8 MiB); per-item results"},
      {"POST", "/documents/batch_get", "optional", "Fetch up to 1000 documents by id; invisible ones are missing"},
  };
  static const std::string body = write_json([](json::writer& w) {
    w.begin_object().key("version").string("v1").key("endpoints").begin_array();
    for (const endpoint& e : endpoints) {
      w.begin_object()
          .key("method").string(e.method)
          .key("path").string(e.path)
          .key("auth").string(e.auth)
          .key("description").string(e.description)
          .end_object();
    }
    w.end_array()
        .key("limits").begin_object()
        .key("title_bytes").uint64(512)
        .key("body_bytes").uint64(1u << 20)
        .key("tags").uint64(64)
        .key("metadata_keys").uint64(64)
        .key("batch_items").uint64(1000)
        .key("batch_bytes").uint64(8u << 20)
        .end_object()
        .end_object();
  });
  return json_plan(200, body);
}

}  // namespace codex::emulator
