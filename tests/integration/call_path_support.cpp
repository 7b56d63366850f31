#include "call_path_support.hpp"

#include "emulator/http_server_codec.hpp"

#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <exception>

namespace codex::test {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr const char* admin_token = "adm_call_path_tests";

emulator::service_options with_admin(emulator::service_options options) {
  options.admin_token = admin_token;
  return options;
}

// The service's step knob is the server's: POST /_emulator/config arms it.
test_server_options two_threads(const emulator::service& service) {
  test_server_options options;
  options.server.threads = 2;
  options.server.step_faults = service.step_faults();
  return options;
}

}  // namespace

live_emulator::live_emulator(emulator::service_options options)
    : service_(with_admin(std::move(options))),
      server_([this](net::codec::server_request& request,
                     const emulator::request_context& context) { return answer(request, context); },
              two_threads(service_)) {}

emulator::response_plan live_emulator::answer(net::codec::server_request& request,
                                              const emulator::request_context& context) {
  journal_entry entry;
  entry.arrived = steady_clock::now();
  entry.arrived_wall = std::chrono::system_clock::now();
  entry.method = request.method;
  entry.path = request.target.substr(0, request.target.find('?'));
  if (auto value = request.headers.find("Authorization")) entry.credential = std::string(*value);
  else if (auto key = request.headers.find("X-API-Key")) entry.credential = std::string(*key);
  if (auto caller = request.headers.find("X-Caller")) entry.caller = std::string(*caller);

  emulator::response_plan plan = service_.handle(request, context);

  entry.answered = steady_clock::now();
  entry.status = plan.status;
  if (auto value = plan.headers.find("Retry-After")) entry.retry_after = std::string(*value);
  entry.cut = plan.cut_after.has_value() || plan.reset;
  std::lock_guard lock{mutex_};
  journal_.push_back(std::move(entry));
  return plan;
}

emulator::response_plan live_emulator::admin(net::http_method method, std::string target, std::string body) {
  net::codec::server_request request;
  request.method = method;
  request.method_text = std::string(net::to_string(method));
  request.target = std::move(target);
  request.headers.add("X-Emulator-Admin", admin_token);
  request.headers.add("Content-Type", "application/json");
  request.body = std::move(body);
  request.body.reserve(request.body.size() + net::body_padding);  // simdjson reads past the end
  const emulator::request_context context{.remote_address = "127.0.0.1", .connection_id = 0, .request_on_connection = 1};
  return service_.handle(request, context);
}

emulator::credential_counters live_emulator::counters(const std::string& credential_id) const {
  const auto table = service_.stats();
  const auto found = table.find(credential_id);
  return found == table.end() ? emulator::credential_counters{} : found->second;
}

void live_emulator::configure(std::string json) {
  const auto plan = admin(net::http_method::post, "/_emulator/config", std::move(json));
  INFO(plan.body);
  REQUIRE(plan.status == 200);
}

issued_credential live_emulator::create_api_key() {
  const auto plan = admin(net::http_method::post, "/_emulator/keys",
                          R"({"project_id":")" + seeded().project_id + R"(","type":"api_key"})");
  REQUIRE(plan.status == 201);
  return {json_text(plan.body, "/id"), json_text(plan.body, "/api_key")};
}

issued_credential live_emulator::create_client() {
  const auto plan = admin(net::http_method::post, "/_emulator/keys",
                          R"({"project_id":")" + seeded().project_id + R"(","type":"client"})");
  REQUIRE(plan.status == 201);
  return {json_text(plan.body, "/client_id"), json_text(plan.body, "/client_secret")};
}

std::vector<journal_entry> live_emulator::journal() const {
  std::lock_guard lock{mutex_};
  return journal_;
}

std::vector<journal_entry> live_emulator::journal_of(std::string_view path) const {
  std::vector<journal_entry> matching;
  for (auto& entry : journal()) {
    if (entry.path == path) matching.push_back(std::move(entry));
  }
  return matching;
}

config client_config(std::string base_url, std::string ca_file, credentials creds, std::string_view rate) {
  config cfg;
  cfg.base_url = std::move(base_url);
  cfg.credentials = std::move(creds);
  cfg.transport.tls.ca_file = std::move(ca_file);
  cfg.rate_limit = limit::parse_rate_limit(rate).value();
  return cfg;
}

config client_config(const live_emulator& emulator, credentials creds, std::string_view rate) {
  return client_config(emulator.base_url(), emulator.ca_file(), std::move(creds), rate);
}

credentials api_key(std::string_view key, api_key_scheme scheme) {
  return api_key_credentials{.key = secret(key), .scheme = scheme};
}

credentials client_credential(std::string_view id, std::string_view secret_text) {
  return client_credentials{.client_id = std::string(id), .client_secret = secret(secret_text), .scope = {}};
}

credentials access_token(std::string_view token) { return access_token_credentials{.token = secret(token)}; }

api_request get(std::string path) {
  api_request request;
  request.method = net::http_method::get;
  request.path = std::move(path);
  return request;
}

call_outcome outcome_of(result<net::http_response> response) {
  call_outcome outcome;
  outcome.finished = true;
  outcome.ok = response.has_value();
  if (outcome.ok) {
    outcome.status = response->status;
    outcome.body = std::move(response->body);
  } else {
    outcome.error = std::move(response).error();
    outcome.status = outcome.error.http_status;
  }
  return outcome;
}

asio::awaitable<call_outcome> call(client& api, api_request request) {
  co_return outcome_of(co_await api.execute(std::move(request)));
}

void recording_observer::on_call(const call_report& report) noexcept {
  recorded_call copy{.method = std::string(report.method),
                     .path = std::string(report.path),
                     .attempts = report.attempts,
                     .retries = report.retries,
                     .limiter_wait = report.limiter_wait,
                     .token_wait = report.token_wait,
                     .token_refreshes = report.token_refreshes,
                     .status = report.status,
                     .error = report.error,
                     .latency = report.latency,
                     .ended = steady_clock::now()};
  std::lock_guard lock{mutex_};
  calls_.push_back(std::move(copy));
}

void recording_observer::on_log(log_level, std::string_view text) noexcept {
  std::lock_guard lock{mutex_};
  logs_.emplace_back(text);
}

std::vector<recorded_call> recording_observer::calls() const {
  std::lock_guard lock{mutex_};
  return calls_;
}

std::vector<std::string> recording_observer::logs() const {
  std::lock_guard lock{mutex_};
  return logs_;
}

}  // namespace codex::test
