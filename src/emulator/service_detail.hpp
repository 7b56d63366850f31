#pragma once
// Private to the service_*.cpp files: the per-request state and the helpers that
// build responses.

#include "emulator/api_error.hpp"
#include "emulator/service.hpp"

#include <codex/json/writer.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace codex::emulator {

/// One request on its way through the service.
struct service::call {
  net::codec::server_request& request;
  const request_context& context;
  std::chrono::system_clock::time_point now;
  std::shared_ptr<const service_options> options;  // snapshot taken at arrival
  route_match route;
  std::string_view path;
  std::string_view query;
  std::string request_id;
};

/// Who is calling, once authenticated.
struct service::caller {
  enum class kind { anonymous, api_key, bearer };
  kind type = kind::anonymous;
  std::string credential_id;  // key id or client id; empty when anonymous
  std::string prefix;
  std::string project_id;     // empty when anonymous
  bool can_read = true;       // scope "read" (anonymous: public data only)
  bool can_write = false;     // scope "write" and a read_write project
  std::string rate_key;       // the limiter bucket

  bool anonymous() const noexcept { return type == kind::anonymous; }
  std::string stats_id() const { return anonymous() ? "anonymous" : credential_id; }
};

/// A refused authentication: the 401 and its WWW-Authenticate challenge.
struct service::auth_failure {
  api_error error;
  std::string challenge;
};

/// A JSON response.
inline response_plan json_plan(int status, std::string body) {
  response_plan plan;
  plan.status = status;
  plan.body = std::move(body);
  plan.headers.add("Content-Type", "application/json");
  return plan;
}

/// An error response with the contract's body.
inline response_plan error_plan(const api_error& e) { return json_plan(e.status, error_body(e)); }

inline response_plan error_plan(int status, std::string code, std::string message) {
  return error_plan(api_error{status, std::move(code), std::move(message)});
}

/// 401 for a route that needs credentials.
inline response_plan unauthenticated_plan() {
  response_plan plan = error_plan(401, "unauthenticated", "This route requires credentials");
  plan.headers.add("WWW-Authenticate", R"(Bearer realm="codex")");
  return plan;
}

/// 403 for a write without the right.
inline response_plan insufficient_scope_plan() {
  return error_plan(403, "insufficient_scope", "This credential may not write");
}

/// 404 that reveals nothing.
inline response_plan not_found_plan() { return error_plan(404, "not_found", "No such resource"); }

/// Serializes with the writer; `fill` receives it.
template <class Fill>
std::string write_json(Fill&& fill) {
  std::string out;
  json::writer w{out};
  fill(w);
  return out;
}

}  // namespace codex::emulator
