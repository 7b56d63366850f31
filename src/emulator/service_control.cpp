// The control API under /_emulator/ (X-Emulator-Admin).

#include "emulator/json_input.hpp"
#include "emulator/secrets.hpp"
#include "emulator/service_detail.hpp"

namespace codex::emulator {
namespace {

// Reads a flat object of string members into `out` (unknown members ignored).
std::optional<api_error> read_string_members(const std::string& body,
                                             std::initializer_list<std::pair<std::string_view, std::string*>> out) {
  json_body json{body};
  auto root = json.root();
  if (auto* e = std::get_if<api_error>(&root)) return *e;
  for (auto field : std::get<simdjson::ondemand::object>(root)) {
    std::string_view key, value;
    if (auto err = field.unescaped_key().get(key)) return invalid_json(simdjson::error_message(err));
    for (const auto& [name, target] : out) {
      if (key != name) continue;
      if (auto err = field.value().get_string().get(value)) {
        if (err == simdjson::INCORRECT_TYPE) return api_error{422, "invalid_field", std::string(name) + ": must be a string"};
        return invalid_json(simdjson::error_message(err));
      }
      target->assign(value);
    }
  }
  return json.finish();
}

std::string credential_json(const issued_credential& c) {
  return write_json([&](json::writer& w) {
    w.begin_object()
        .key("id").string(c.info.id)
        .key("type").string(to_string(c.info.type))
        .key("project_id").string(c.info.project_id)
        .key("prefix").string(c.info.prefix);
    if (c.info.type == credential_type::api_key) {
      w.key("api_key").string(c.secret);
    } else {
      w.key("client_id").string(c.info.id).key("client_secret").string(c.secret);
    }
    w.end_object();
  });
}

}  // namespace

response_plan service::handle_admin(call& c) {
  const auto token = c.request.headers.find("X-Emulator-Admin");
  // Without the header, or when no admin token is configured, the control API does
  // not exist as far as the caller can tell.
  if (!token || c.options->admin_token.empty()) return error_plan(404, "not_found", "No such route");
  if (!constant_time_equals(*token, c.options->admin_token)) {
    return error_plan(401, "invalid_admin_token", "X-Emulator-Admin is not the admin token");
  }
  if (!c.route.id) {
    if (c.route.status == 405) {
      response_plan plan = error_plan(405, "method_not_allowed", "This route does not support the method");
      plan.headers.add("Allow", std::string(c.route.allow));
      return plan;
    }
    return error_plan(404, "not_found", "No such route");
  }
  switch (*c.route.id) {
    case route_id::admin_projects: return admin_create_project(c);
    case route_id::admin_keys: return admin_create_key(c);
    case route_id::admin_regenerate: return admin_regenerate(c);
    case route_id::admin_config: return admin_config(c);
    case route_id::admin_stats: {
      std::lock_guard lock{mutex_};
      return json_plan(200, stats_to_json(stats_, documents_.size(), step_faults_->snapshot()));
    }
    case route_id::admin_reset: return admin_reset(c);
    default: return not_found_plan();
  }
}

response_plan service::admin_create_project(call& c) {
  std::string name = "project", access_text = "read_write";
  if (auto e = read_string_members(c.request.body, {{"name", &name}, {"permission", &access_text}})) {
    return error_plan(*e);
  }
  const auto access = parse_permission(access_text);
  if (!access) return error_plan(422, "invalid_field", R"(permission: "read" or "read_write")");
  project created;
  {
    std::lock_guard lock{mutex_};
    created = credentials_.create_project(std::move(name), *access);
  }
  return json_plan(201, write_json([&](json::writer& w) {
    w.begin_object()
        .key("id").string(created.id)
        .key("name").string(created.name)
        .key("permission").string(to_string(created.access))
        .end_object();
  }));
}

response_plan service::admin_create_key(call& c) {
  std::string project_id, type_text = "api_key";
  if (auto e = read_string_members(c.request.body, {{"project_id", &project_id}, {"type", &type_text}})) {
    return error_plan(*e);
  }
  if (type_text != "api_key" && type_text != "client") {
    return error_plan(422, "invalid_field", R"(type: "api_key" or "client")");
  }
  const auto type = type_text == "api_key" ? credential_type::api_key : credential_type::client;
  std::optional<issued_credential> issued;
  {
    std::lock_guard lock{mutex_};
    issued = credentials_.create(project_id, type);
  }
  if (!issued) return error_plan(404, "not_found", "No such project");
  return json_plan(201, credential_json(*issued));
}

response_plan service::admin_regenerate(call& c) {
  std::optional<issued_credential> issued;
  {
    std::lock_guard lock{mutex_};
    issued = credentials_.regenerate(c.route.param);
  }
  if (!issued) return error_plan(404, "not_found", "No such credential");
  return json_plan(200, credential_json(*issued));
}

response_plan service::admin_config(call& c) {
  if (c.request.method != net::http_method::post) return json_plan(200, config_to_json(*c.options));
  std::lock_guard lock{mutex_};
  // Applied to the current options (not the request's snapshot) so that two
  // concurrent partial updates both take effect.
  service_options updated = *options_;
  if (auto message = apply_config_json(updated, c.request.body); !message.empty()) {
    return error_plan(message.starts_with("The request body") ? 400 : 422, "invalid_config", message);
  }
  install_options(std::move(updated));
  return json_plan(200, config_to_json(*options_));
}

void service::reconfigure(const std::function<void(service_options&)>& change) {
  std::lock_guard lock{mutex_};
  service_options updated = *options_;
  change(updated);
  updated.admin_token = options_->admin_token;
  install_options(std::move(updated));
}

void service::install_options(service_options updated) {
  // An event rather than a setting: armed now, with a fresh count, and not kept.
  if (updated.faults.fail_step) {
    if (updated.faults.fail_step->n == 0) {
      step_faults_->disarm();
    } else {
      step_faults_->arm(*updated.faults.fail_step);
    }
    updated.faults.fail_step.reset();
  }
  // New limits start from full buckets.
  limiter_.clear();
  idempotency_.set_limits(updated.limits.idempotency_entries, updated.limits.idempotency_ttl);
  options_ = std::make_shared<const service_options>(std::move(updated));
}

response_plan service::admin_reset(call&) {
  std::lock_guard lock{mutex_};
  credentials_.clear();
  seed_state();
  documents_.clear();
  limiter_.clear();
  idempotency_.clear();
  idempotency_.set_limits(initial_options_.limits.idempotency_entries, initial_options_.limits.idempotency_ttl);
  stats_.clear();
  step_faults_->disarm();
  options_ = std::make_shared<const service_options>(initial_options_);
  return json_plan(200, R"({"reset":true})");
}

}  // namespace codex::emulator
