#include "emulator/credentials.hpp"

#include "emulator/secrets.hpp"

namespace codex::emulator {

std::string_view to_string(permission p) noexcept { return p == permission::read ? "read" : "read_write"; }

std::optional<permission> parse_permission(std::string_view text) noexcept {
  if (text == "read") return permission::read;
  if (text == "read_write") return permission::read_write;
  return std::nullopt;
}

std::string_view to_string(credential_type t) noexcept { return t == credential_type::api_key ? "api_key" : "client"; }

const project& credential_store::create_project(std::string name, permission access) {
  return insert_project({.id = "prj_" + random_hex(12), .name = std::move(name), .access = access});
}

const project& credential_store::insert_project(project p) {
  std::string id = p.id;
  return projects_.insert_or_assign(std::move(id), std::move(p)).first->second;
}

std::string credential_store::new_secret(credential_type type) {
  return type == credential_type::api_key ? "cdx_" + random_hex(20) : "cs_" + random_hex(24);
}

std::optional<issued_credential> credential_store::create(std::string_view project_id, credential_type type) {
  if (!projects_.contains(std::string(project_id))) return std::nullopt;
  std::string id = type == credential_type::api_key ? "key_" + random_hex(12) : "cid_" + random_hex(12);
  return insert(std::move(id), project_id, type, new_secret(type));
}

issued_credential credential_store::insert(std::string id, std::string_view project_id, credential_type type,
                                           std::string secret) {
  credential c{.id = std::move(id),
               .type = type,
               .project_id = std::string(project_id),
               .secret_hash = sha256_hex(secret),
               .prefix = {},
               .generation = next_generation_++};
  c.prefix = (type == credential_type::api_key ? secret : c.id).substr(0, 8);
  if (auto old = credentials_.find(c.id); old != credentials_.end()) key_by_hash_.erase(old->second.secret_hash);
  index(c);
  credentials_.insert_or_assign(c.id, c);
  return {std::move(c), std::move(secret)};
}

void credential_store::index(const credential& c) {
  if (c.type == credential_type::api_key) key_by_hash_[c.secret_hash] = c.id;
}

std::optional<issued_credential> credential_store::regenerate(std::string_view id) {
  const auto it = credentials_.find(std::string(id));
  if (it == credentials_.end()) return std::nullopt;
  const credential old = it->second;
  return insert(old.id, old.project_id, old.type, new_secret(old.type));
}

const credential* credential_store::find_api_key(std::string_view key) const {
  const auto it = key_by_hash_.find(sha256_hex(key));
  return it == key_by_hash_.end() ? nullptr : find(it->second);
}

const credential* credential_store::authenticate_client(std::string_view client_id, std::string_view secret) const {
  const credential* c = find(client_id);
  if (c == nullptr || c->type != credential_type::client) return nullptr;
  return constant_time_equals(c->secret_hash, sha256_hex(secret)) ? c : nullptr;
}

const credential* credential_store::find(std::string_view id) const {
  const auto it = credentials_.find(std::string(id));
  return it == credentials_.end() ? nullptr : &it->second;
}

const project* credential_store::find_project(std::string_view id) const {
  const auto it = projects_.find(std::string(id));
  return it == projects_.end() ? nullptr : &it->second;
}

void credential_store::clear() {
  projects_.clear();
  credentials_.clear();
  key_by_hash_.clear();
}

}  // namespace codex::emulator
