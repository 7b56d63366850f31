#pragma once
// The Codex API as a request handler: authentication, rate limits, documents,
// tokens, idempotency, faults and the /_emulator/ control API — everything the
// emulator does except sockets and TLS. Tests call handle() directly.

#include "emulator/config.hpp"
#include "emulator/credentials.hpp"
#include "emulator/document_store.hpp"
#include "emulator/faults.hpp"
#include "emulator/https_server.hpp"
#include "emulator/idempotency_cache.hpp"
#include "emulator/jwt.hpp"
#include "emulator/rate_limiter.hpp"
#include "emulator/router.hpp"
#include "emulator/stats.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace codex::emulator {

/// The credentials created at start (and re-created by POST /_emulator/reset).
struct seed_credentials {
  std::string project_id;            ///< read_write project
  std::string read_only_project_id;  ///< read project of the read-only key
  std::string api_key_id;
  std::string api_key;               ///< read_write
  std::string read_only_api_key_id;
  std::string read_only_api_key;
  std::string client_id;             ///< bound to project_id
  std::string client_secret;
};

/// Thread-safety: handle() and every other member may be called concurrently; the
/// state is behind one mutex whose critical sections exclude parsing, JSON writing
/// and RSA operations.
class service {
 public:
  /// Wall-clock source; injected so that tests control token expiry and rate limits.
  using clock = std::function<std::chrono::system_clock::time_point()>;

  /// Generates the RSA key and seeds the projects and credentials. Throws
  /// std::runtime_error if OpenSSL fails.
  explicit service(service_options options, clock now = [] { return std::chrono::system_clock::now(); });
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Answers one request (the https_server's request_handler).
  response_plan handle(net::codec::server_request& request, const request_context& context);

  /// The seeded credentials.
  const seed_credentials& seeded() const noexcept { return seed_; }
  /// The token signer (tests verify tokens against its JWKS).
  const jwt_signer& signer() const noexcept { return *signer_; }
  /// A snapshot of the current options.
  service_options options() const;
  /// A snapshot of the counters.
  stats_table stats() const;
  /// Documents held now.
  std::size_t document_count() const;
  /// The "fail the Nth step" knob that POST /_emulator/config arms (faults.fail_step):
  /// give it to the https_server that serves this service (server_options::step_faults).
  const std::shared_ptr<step_fault_switch>& step_faults() const noexcept { return step_faults_; }
  /// Changes the options as POST /_emulator/config does (the admin token excepted,
  /// which stays): `change` edits a copy of the current options under the lock, and
  /// requests that arrive afterwards see the result; rate buckets start full again.
  void reconfigure(const std::function<void(service_options&)>& change);

 private:
  struct call;
  struct caller;
  struct auth_failure;
  using auth_result = std::variant<caller, auth_failure>;

  // service.cpp: the pipeline.
  response_plan handle_api(call& c);
  response_plan handle_authenticated(call& c, const caller& who);
  response_plan dispatch(call& c, const caller& who);
  auth_result authenticate(const call& c);
  auth_result authenticate_bearer(const call& c, std::string_view token);
  auth_result authenticate_api_key(const call& c, std::string_view key);
  void finish(call& c, response_plan& plan) const;
  void count(const std::string& id, int status);
  void seed_state();

  // service_auth.cpp: token, account, schema.
  response_plan handle_token(call& c);
  response_plan handle_account(call& c, const caller& who);
  response_plan handle_schema(call& c);

  // service_documents.cpp.
  response_plan list_documents(call& c, const caller& who);
  response_plan create_document(call& c, const caller& who);
  response_plan get_document(call& c, const caller& who);
  response_plan patch_document(call& c, const caller& who);
  response_plan delete_document(call& c, const caller& who);
  response_plan batch_create(call& c, const caller& who);
  response_plan batch_get(call& c, const caller& who);
  response_plan missing_for_write(call& c, const caller& who);

  // service_control.cpp: /_emulator/.
  response_plan handle_admin(call& c);
  response_plan admin_create_project(call& c);
  response_plan admin_create_key(call& c);
  response_plan admin_regenerate(call& c);
  response_plan admin_config(call& c);
  response_plan admin_reset(call& c);
  void install_options(service_options updated);  // mutex_ held

  clock now_;
  std::unique_ptr<jwt_signer> signer_;
  const service_options initial_options_;
  seed_credentials seed_;
  const std::shared_ptr<step_fault_switch> step_faults_ = std::make_shared<step_fault_switch>();

  mutable std::mutex mutex_;  // guards everything below
  std::shared_ptr<const service_options> options_;
  credential_store credentials_;
  document_store documents_;
  rate_limiter limiter_;
  idempotency_cache idempotency_;
  stats_table stats_;
};

}  // namespace codex::emulator
