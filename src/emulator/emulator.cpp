#include "emulator/emulator.hpp"

#include "emulator/pki.hpp"
#include "emulator/secrets.hpp"

#include <codex/json/writer.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace codex::emulator {
namespace {

bool is_ip_literal(std::string_view host) {
  return host.find(':') != std::string_view::npos ||
         host.find_first_not_of("0123456789.") == std::string_view::npos;
}

pki::subject_names leaf_names(const std::string& host) {
  pki::subject_names names{.dns = {"localhost"}, .ip_addresses = {"127.0.0.1", "::1"}};
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost" || host == "127.0.0.1" ||
      host == "::1") {
    return names;
  }
  (is_ip_literal(host) ? names.ip_addresses : names.dns).push_back(host);
  return names;
}

}  // namespace

std::string url_host(std::string_view bind_host) {
  if (bind_host.empty() || bind_host == "0.0.0.0" || bind_host == "::") return "127.0.0.1";
  if (bind_host.find(':') != std::string_view::npos) {
    std::string bracketed;  // appended: "[" + host + "]" draws a false -Wrestrict from g++ 12 at -O3
    bracketed.append("[").append(bind_host).append("]");
    return bracketed;
  }
  return std::string(bind_host);
}

std::filesystem::path default_state_dir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "codex-emulator";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".local" / "state" / "codex-emulator";
  }
  return std::filesystem::path("codex-emulator-state");
}

std::string credentials_json(const std::string& base_url, const std::filesystem::path& ca_file,
                             const std::string& admin_token, const seed_credentials& seed) {
  std::string out;
  json::writer w{out};
  w.begin_object()
      .key("base_url").string(base_url)
      .key("ca_file").string(ca_file.string())
      .key("admin_token").string(admin_token)
      .key("project_id").string(seed.project_id)
      .key("api_key").string(seed.api_key)
      .key("read_only_api_key").string(seed.read_only_api_key)
      .key("client_id").string(seed.client_id)
      .key("client_secret").string(seed.client_secret)
      .end_object();
  if (w.error()) throw std::runtime_error("credentials.json: a path is not valid UTF-8");
  out += '\n';
  return out;
}

namespace {

/// The PEM text of the client CA file, or "" when there is none.
std::string read_client_ca(const std::filesystem::path& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) throw std::runtime_error("cannot read the client CA file " + path.string());
  return std::move(text).str();
}

}  // namespace

emulator::emulator(emulator_options options) : options_(std::move(options)) {}

emulator::~emulator() { stop(); }

void emulator::start() {
  admin_token_ = options_.admin_token.empty() ? "adm_" + random_hex(20) : options_.admin_token;
  pki::authority ca;
  ca_pem_ = ca.certificate_pem();
  const pki::leaf_credentials leaf = ca.issue("codex-emulator", leaf_names(options_.host));

  service_options api_options = options_.service;
  api_options.admin_token = admin_token_;
  service_ = std::make_unique<service>(std::move(api_options));

  server_options server_opts;
  server_opts.host = options_.host;
  server_opts.port = options_.port;
  server_opts.threads = options_.threads == 0 ? 1 : options_.threads;
  server_opts.limits.max_body = options_.service.limits.batch_bytes;
  server_opts.head_timeout = options_.head_timeout;
  server_opts.body_timeout = options_.body_timeout;
  server_opts.max_connections_per_address = options_.max_connections_per_address;
  server_opts.step_faults = service_->step_faults();  // armed by POST /_emulator/config
  service* api = service_.get();
  server_ = std::make_unique<https_server>(
      server_opts, tls_identity{leaf.chain_pem, leaf.private_key_pem, read_client_ca(options_.client_ca_file)},
      [api](net::codec::server_request& request, const request_context& context) {
        return api->handle(request, context);
      });
  server_->start();

  if (!options_.state_dir.empty()) {
    std::filesystem::create_directories(options_.state_dir);
    pki::write_file_atomically(ca_file(), ca_pem_, 0600);
    pki::write_file_atomically(credentials_file(),
                               credentials_json(base_url(), ca_file(), admin_token_, service_->seeded()), 0600);
  }
}

void emulator::stop() {
  if (server_) server_->stop();
}

std::uint16_t emulator::port() const { return server_ ? server_->port() : 0; }

std::string emulator::base_url() const {
  return "https://" + url_host(options_.host) + ":" + std::to_string(port()) + "/v1";
}

const seed_credentials& emulator::credentials() const {
  if (!service_) throw std::logic_error("emulator::credentials() before start()");
  return service_->seeded();
}

}  // namespace codex::emulator
