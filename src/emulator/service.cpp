#include "emulator/service.hpp"

#include "auth/base64.hpp"
#include "emulator/faults.hpp"
#include "emulator/http_server_codec.hpp"
#include "emulator/secrets.hpp"
#include "emulator/service_detail.hpp"

#include <random>

namespace codex::emulator {
namespace {

double uniform_draw() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

limiter_time since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<limiter_time>(t.time_since_epoch());
}

void add_rate_headers(response_plan& plan, const rate_decision& d) {
  plan.headers.set("X-RateLimit-Limit", std::to_string(d.limit));
  plan.headers.set("X-RateLimit-Remaining", std::to_string(d.remaining));
  plan.headers.set("X-RateLimit-Reset", std::to_string(ceil_seconds(d.reset)));
}

response_plan route_error(const route_match& m) {
  if (m.status == 405) {
    response_plan plan = error_plan(405, "method_not_allowed", "This route does not support the method");
    plan.headers.add("Allow", std::string(m.allow));
    return plan;
  }
  return error_plan(404, "not_found", "No such route");
}

// The scheme and the rest of an Authorization value: "Basic abc" -> {"basic", "abc"}.
std::pair<std::string, std::string_view> split_authorization(std::string_view value) {
  const std::size_t space = value.find(' ');
  std::string scheme(value.substr(0, space));
  for (char& ch : scheme) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  std::string_view rest = space == std::string_view::npos ? std::string_view{} : value.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return {std::move(scheme), rest};
}

bool has_scope(std::string_view scopes, std::string_view wanted) {
  while (!scopes.empty()) {
    const std::size_t sp = scopes.find(' ');
    if (scopes.substr(0, sp) == wanted) return true;
    scopes = sp == std::string_view::npos ? std::string_view{} : scopes.substr(sp + 1);
  }
  return false;
}

}  // namespace

service::service(service_options options, clock now)
    : now_(std::move(now)),
      signer_(std::make_unique<jwt_signer>()),
      initial_options_(options),
      options_(std::make_shared<const service_options>(std::move(options))),
      idempotency_(initial_options_.limits.idempotency_entries, initial_options_.limits.idempotency_ttl) {
  seed_ = {.project_id = "prj_" + random_hex(12),
           .read_only_project_id = "prj_" + random_hex(12),
           .api_key_id = "key_" + random_hex(12),
           .api_key = "cdx_" + random_hex(20),
           .read_only_api_key_id = "key_" + random_hex(12),
           .read_only_api_key = "cdx_" + random_hex(20),
           .client_id = "cid_" + random_hex(12),
           .client_secret = "cs_" + random_hex(24)};
  std::lock_guard lock{mutex_};
  seed_state();
}

service::~service() = default;

void service::seed_state() {
  credentials_.insert_project({.id = seed_.project_id, .name = "default", .access = permission::read_write});
  credentials_.insert_project({.id = seed_.read_only_project_id, .name = "read-only", .access = permission::read});
  credentials_.insert(seed_.api_key_id, seed_.project_id, credential_type::api_key, seed_.api_key);
  credentials_.insert(seed_.read_only_api_key_id, seed_.read_only_project_id, credential_type::api_key,
                      seed_.read_only_api_key);
  credentials_.insert(seed_.client_id, seed_.project_id, credential_type::client, seed_.client_secret);
}

service_options service::options() const {
  std::lock_guard lock{mutex_};
  return *options_;
}

stats_table service::stats() const {
  std::lock_guard lock{mutex_};
  return stats_;
}

std::size_t service::document_count() const {
  std::lock_guard lock{mutex_};
  return documents_.size();
}

response_plan service::handle(net::codec::server_request& request, const request_context& context) {
  std::shared_ptr<const service_options> options;
  {
    std::lock_guard lock{mutex_};
    options = options_;
  }
  // Every member initialised in place (assigning the route afterwards draws a false
  // -Wmaybe-uninitialized from g++ 12 at -O3).
  const auto [path, query] = split_target(request.target);
  call c{.request = request,
         .context = context,
         .now = now_(),
         .options = std::move(options),
         .route = match_route(request.method, request.method_known, path),
         .path = path,
         .query = query,
         .request_id = "req_" + random_hex(12)};
  response_plan plan;
  if (c.route.admin) {
    plan = handle_admin(c);
  } else if (!c.route.id) {
    plan = route_error(c.route);
  } else if (*c.route.id == route_id::jwks) {
    plan = json_plan(200, signer_->jwks_json());
    plan.headers.add("Cache-Control", "public, max-age=300");
  } else {
    return handle_api(c);
  }
  finish(c, plan);
  return plan;
}

// /v1: faults around the work, latency on top.
response_plan service::handle_api(call& c) {
  const fault_options& faults = c.options->faults;
  response_plan plan;
  const fault_kind before = fault_before(faults, uniform_draw());
  if (before == fault_kind::error_500) {
    plan = error_plan(500, "internal_error", "Injected fault: internal server error");
  } else if (before == fault_kind::error_503) {
    plan = error_plan(503, "unavailable", "Injected fault: service unavailable");
    plan.headers.add("Retry-After", "1");
  } else if (*c.route.id == route_id::token) {
    plan = handle_token(c);
  } else {
    auto who = authenticate(c);
    if (auto* failure = std::get_if<auth_failure>(&who)) {
      plan = error_plan(failure->error);
      plan.headers.add("WWW-Authenticate", failure->challenge);
    } else {
      plan = handle_authenticated(c, std::get<caller>(who));
    }
  }
  finish(c, plan);
  if (const fault_kind after = fault_after(faults, uniform_draw()); after != fault_kind::none) {
    std::string head;
    net::codec::write_response_head(plan.status, plan.headers, plan.body.size(),
                                     c.request.keep_alive && !plan.close, head);
    apply_cut(plan, after, head.size());
  }
  plan.delay += faults.latency;
  return plan;
}

response_plan service::handle_authenticated(call& c, const caller& who) {
  const rate_limit_options& limit = who.anonymous() ? c.options->anonymous_rate_limit : c.options->rate_limit;
  const std::string stats_id = who.stats_id();
  rate_decision decision;
  {
    std::lock_guard lock{mutex_};
    decision = limiter_.decide(who.rate_key, since_epoch(c.now), limit);
    auto& counters = stats_[stats_id];
    ++counters.requests;
    if (!decision.allowed) ++counters.rate_limited;
  }
  if (!decision.allowed) {
    response_plan plan = error_plan(429, "rate_limited", "Too many requests: retry later");
    plan.headers.add("Retry-After", format_retry_after(decision.retry_after, c.now, c.options->retry_after));
    if (!who.anonymous()) add_rate_headers(plan, decision);
    return plan;
  }

  // Idempotency-Key: replay the first response of the same (credential, method, path, key).
  std::string idem_key;
  const auto idem_header = c.request.headers.find("Idempotency-Key");
  if (idem_header && !idem_header->empty() && c.request.method == net::http_method::post && !who.anonymous()) {
    idem_key = idempotency_cache::make_key(who.credential_id, net::to_string(c.request.method), c.request.target,
                                           *idem_header);
    stored_response stored;
    idempotency_state state;
    {
      std::lock_guard lock{mutex_};
      state = idempotency_.begin(idem_key, c.now.time_since_epoch(), stored);
    }
    if (state == idempotency_state::replay) {
      response_plan plan;
      plan.status = stored.status;
      plan.headers = std::move(stored.headers);
      plan.body = std::move(stored.body);
      count(stats_id, plan.status);
      return plan;
    }
    if (state == idempotency_state::in_progress) {
      return error_plan(409, "request_in_progress", "A request with this Idempotency-Key is still being processed");
    }
  }

  response_plan plan = dispatch(c, who);
  if (!who.anonymous()) add_rate_headers(plan, decision);
  finish(c, plan);
  if (!idem_key.empty()) {
    std::lock_guard lock{mutex_};
    if (plan.status < 500 && plan.status != 429) {
      idempotency_.complete(idem_key, {plan.status, plan.headers, plan.body}, c.now.time_since_epoch());
    } else {
      idempotency_.abandon(idem_key);
    }
  }
  count(stats_id, plan.status);
  return plan;
}

void service::count(const std::string& id, int status) {
  if (status < 200 || status > 299) return;
  std::lock_guard lock{mutex_};
  ++stats_[id].ok;
}

response_plan service::dispatch(call& c, const caller& who) {
  using net::http_method;
  switch (*c.route.id) {
    case route_id::account: return handle_account(c, who);
    case route_id::schema: return handle_schema(c);
    case route_id::documents:
      return c.request.method == http_method::post ? create_document(c, who) : list_documents(c, who);
    case route_id::document:
      if (c.request.method == http_method::patch) return patch_document(c, who);
      if (c.request.method == http_method::delete_) return delete_document(c, who);
      return get_document(c, who);
    case route_id::batch: return batch_create(c, who);
    case route_id::batch_get: return batch_get(c, who);
    default: return not_found_plan();
  }
}

void service::finish(call& c, response_plan& plan) const {
  if (!plan.headers.contains("X-Request-Id")) plan.headers.add("X-Request-Id", c.request_id);
}

service::auth_result service::authenticate(const call& c) {
  const auto& headers = c.request.headers;
  if (const auto authorization = headers.find("Authorization")) {
    auto [scheme, rest] = split_authorization(*authorization);
    if (scheme == "bearer") return authenticate_bearer(c, rest);
    if (scheme == "basic") {
      const auto decoded = auth::base64_decode(rest);
      if (!decoded) {
        return auth_failure{{401, "invalid_credentials", "Malformed Basic credentials"}, R"(Basic realm="codex")"};
      }
      // RFC 7617: user ":" password; the API key is the user, the password is ignored.
      return authenticate_api_key(c, std::string_view(*decoded).substr(0, decoded->find(':')));
    }
    return auth_failure{{401, "invalid_credentials", "Unsupported Authorization scheme"}, R"(Bearer realm="codex")"};
  }
  if (const auto key = headers.find("X-API-Key")) return authenticate_api_key(c, *key);
  caller anonymous;
  anonymous.rate_key = "anon:" + c.context.remote_address;
  return anonymous;
}

service::auth_result service::authenticate_api_key(const call&, std::string_view key) {
  const auth_failure refused{{401, "invalid_api_key", "The API key is not valid"}, R"(Basic realm="codex")"};
  std::lock_guard lock{mutex_};
  const credential* cred = credentials_.find_api_key(key);
  if (cred == nullptr) return refused;
  const project* proj = credentials_.find_project(cred->project_id);
  if (proj == nullptr) return refused;
  caller who;
  who.type = caller::kind::api_key;
  who.credential_id = cred->id;
  who.prefix = cred->prefix;
  who.project_id = proj->id;
  who.can_read = true;
  who.can_write = proj->access == permission::read_write;
  who.rate_key = cred->id;
  return who;
}

service::auth_result service::authenticate_bearer(const call& c, std::string_view token) {
  const auto refuse = [](std::string message) {
    return auth_failure{{401, "invalid_token", std::move(message)}, R"(Bearer error="invalid_token")"};
  };
  // The RSA check needs no state: it runs before the lock is taken.
  const auto claims = signer_->verify(token);
  if (!claims || claims->iss != c.options->issuer || claims->aud != c.options->audience) {
    return refuse("The access token is not valid");
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(c.now.time_since_epoch()).count();
  if (check_token_times(*claims, now_s) != token_time_check::valid) return refuse("The access token has expired");
  std::lock_guard lock{mutex_};
  const credential* cred = credentials_.find(claims->sub);
  if (cred == nullptr || cred->type != credential_type::client || cred->generation != claims->gen ||
      cred->project_id != claims->project) {
    return refuse("The access token was revoked");
  }
  const project* proj = credentials_.find_project(cred->project_id);
  if (proj == nullptr) return refuse("The access token was revoked");
  caller who;
  who.type = caller::kind::bearer;
  who.credential_id = cred->id;
  who.prefix = cred->prefix;
  who.project_id = proj->id;
  who.can_read = has_scope(claims->scope, "read");
  who.can_write = has_scope(claims->scope, "write") && proj->access == permission::read_write;
  who.rate_key = cred->id;
  return who;
}

}  // namespace codex::emulator
