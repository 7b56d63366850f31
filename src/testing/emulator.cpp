// The test kit's emulator: a pimpl over the emulator library's own class, so that a
// user's test sees one small header and none of the emulator's.

#include <codex/testing/emulator.hpp>

#include "emulator/emulator.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace codex::testing {
namespace {

namespace emu = codex::emulator;

emu::rate_limit_options to_emulator(const rate_limit_options& rate) {
  // A zero would divide by zero in the emulator's bucket arithmetic.
  if (rate.limit == 0 || rate.window <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("codex::testing::emulator: a rate limit needs limit >= 1 and window > 0");
  }
  return {.limit = rate.limit, .window = rate.window, .burst = rate.burst};
}

emu::fault_options to_emulator(const fault_options& f) {
  return {.latency = f.latency, .p500 = f.p500, .p503 = f.p503, .p_drop = f.p_drop, .p_truncate = f.p_truncate,
          .token_delay = f.token_delay, .token_fail = f.token_fail};
}

emu::step_action to_emulator(step_failure failure) {
  switch (failure) {
    case step_failure::close: break;
    case step_failure::reset: return emu::step_action::reset;
    case step_failure::stall: return emu::step_action::stall;
    case step_failure::truncate: return emu::step_action::truncate;
  }
  return emu::step_action::close;
}

// Half the server's bucket: calls go at once, and the other half absorbs the latency
// jitter between the client's clock and the server's, so a client alone sees no 429.
limit::rate_limit client_rate(const emu::rate_limit_options& server) {
  return {.limit = server.limit,
          .period = server.window,
          .burst = std::max<std::uint64_t>(1, server.capacity() / 2)};
}

counters counters_from(const emu::credential_counters& c) {
  return {.requests = c.requests, .ok = c.ok, .rate_limited = c.rate_limited, .tokens_issued = c.tokens_issued,
          .batch_items_accepted = c.batch_items_accepted};
}

/// A directory only this user can read (mkdtemp: mode 0700), removed with its files.
class temporary_directory {
 public:
  temporary_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "codex-testing-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "codex::testing::emulator: mkdtemp");
    }
    path_ = pattern;
  }
  ~temporary_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

emu::emulator_options server_options(const emulator_options& options, std::filesystem::path state_dir) {
  emu::emulator_options out;
  out.state_dir = std::move(state_dir);
  out.threads = std::max<std::size_t>(1, options.threads);
  out.service.rate_limit = to_emulator(options.rate_limit);
  out.service.anonymous_rate_limit = to_emulator(options.anonymous_rate_limit);
  out.service.token_ttl = options.token_ttl;
  out.service.faults = to_emulator(options.faults);
  return out;
}

}  // namespace

struct emulator::impl {
  // Declared first: made before the server writes into it, removed after it stopped.
  std::optional<temporary_directory> temporary;
  emu::emulator server;
  seeded_credentials seeded;

  explicit impl(const emulator_options& options) : server(server_options(options, state_dir(options))) {
    server.start();
    const emu::seed_credentials& seed = server.credentials();
    seeded = {.project_id = seed.project_id,
              .api_key = seed.api_key,
              .read_only_api_key = seed.read_only_api_key,
              .client_id = seed.client_id,
              .client_secret = seed.client_secret};
  }

  std::filesystem::path state_dir(const emulator_options& options) {
    if (!options.state_dir.empty()) return options.state_dir;
    temporary.emplace();
    return temporary->path();
  }

  /// The id the emulator counts a seeded credential under.
  std::string stats_id(credential_kind kind) const {
    const emu::seed_credentials& seed = server.credentials();
    switch (kind) {
      case credential_kind::api_key: return seed.api_key_id;
      case credential_kind::read_only_api_key: return seed.read_only_api_key_id;
      case credential_kind::client_credentials: return seed.client_id;
      case credential_kind::anonymous: break;
    }
    return "anonymous";
  }
};

emulator::emulator(emulator_options options) : impl_(std::make_unique<impl>(options)) {}

emulator::~emulator() = default;
emulator::emulator(emulator&& other) noexcept = default;
emulator& emulator::operator=(emulator&& other) noexcept = default;

void emulator::stop() {
  if (impl_) impl_->server.stop();
}

std::string emulator::base_url() const { return impl_->server.base_url(); }
std::uint16_t emulator::port() const { return impl_->server.port(); }
std::filesystem::path emulator::ca_file() const { return impl_->server.ca_file(); }
std::filesystem::path emulator::credentials_file() const { return impl_->server.credentials_file(); }
const seeded_credentials& emulator::credentials() const noexcept { return impl_->seeded; }

codex::config emulator::config(credential_kind kind) const {
  const seeded_credentials& seed = impl_->seeded;
  const emu::service_options now = impl_->server.api().options();
  codex::config cfg;
  cfg.base_url = base_url();
  cfg.transport.tls.ca_file = ca_file().string();
  switch (kind) {
    case credential_kind::api_key: cfg.credentials = api_key_credentials{.key = secret(seed.api_key)}; break;
    case credential_kind::read_only_api_key:
      cfg.credentials = api_key_credentials{.key = secret(seed.read_only_api_key)};
      break;
    case credential_kind::client_credentials:
      cfg.credentials = client_credentials{.client_id = seed.client_id, .client_secret = secret(seed.client_secret)};
      break;
    case credential_kind::anonymous: cfg.credentials = anonymous_credentials{}; break;
  }
  cfg.rate_limit = client_rate(kind == credential_kind::anonymous ? now.anonymous_rate_limit : now.rate_limit);
  return cfg;
}

void emulator::set_faults(const fault_options& faults) {
  impl_->server.api().reconfigure([&](emu::service_options& o) { o.faults = to_emulator(faults); });
}

void emulator::fail_step(std::uint64_t n, step_failure failure) {
  // An event for the service, not a setting: it arms its server's step switch and forgets it.
  impl_->server.api().reconfigure(
      [&](emu::service_options& o) { o.faults.fail_step = emu::step_fault{.n = n, .action = to_emulator(failure)}; });
}

void emulator::set_rate_limit(const rate_limit_options& limit) {
  const emu::rate_limit_options converted = to_emulator(limit);
  impl_->server.api().reconfigure([&](emu::service_options& o) { o.rate_limit = converted; });
}

void emulator::set_token_ttl(std::chrono::seconds ttl) {
  impl_->server.api().reconfigure([&](emu::service_options& o) { o.token_ttl = ttl; });
}

counters emulator::counters_of(credential_kind kind) const {
  const emu::stats_table table = impl_->server.api().stats();
  const auto found = table.find(impl_->stats_id(kind));
  return found == table.end() ? counters{} : counters_from(found->second);
}

counters emulator::totals() const {
  counters sum;
  for (const auto& [id, c] : impl_->server.api().stats()) {
    sum.requests += c.requests;
    sum.ok += c.ok;
    sum.rate_limited += c.rate_limited;
    sum.tokens_issued += c.tokens_issued;
    sum.batch_items_accepted += c.batch_items_accepted;
  }
  return sum;
}

}  // namespace codex::testing
