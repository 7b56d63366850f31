#include "emulator/idempotency_cache.hpp"

namespace codex::emulator {

std::string idempotency_cache::make_key(std::string_view credential_id, std::string_view method,
                                        std::string_view path, std::string_view idempotency_key) {
  // Newlines cannot occur in any of the parts (header values and targets exclude them).
  std::string key;
  key.reserve(credential_id.size() + method.size() + path.size() + idempotency_key.size() + 3);
  key.append(credential_id).append("\n").append(method).append("\n").append(path).append("\n").append(idempotency_key);
  return key;
}

void idempotency_cache::expire(time_point now) {
  while (!order_.empty() && (now - order_.front().created >= ttl_ || entries_.size() > max_entries_)) {
    entries_.erase(order_.front().key);
    order_.pop_front();
  }
}

idempotency_state idempotency_cache::begin(const std::string& key, time_point now, stored_response& out) {
  expire(now);
  if (const auto it = entries_.find(key); it != entries_.end()) {
    if (!it->second->done) return idempotency_state::in_progress;
    out = it->second->response;
    return idempotency_state::replay;
  }
  order_.push_back({.key = key, .created = now, .done = false, .response = {}});
  entries_.emplace(key, std::prev(order_.end()));
  // Make room now, so that the table never holds more than max_entries_.
  while (entries_.size() > max_entries_ && order_.front().key != key) {
    entries_.erase(order_.front().key);
    order_.pop_front();
  }
  return idempotency_state::first;
}

void idempotency_cache::complete(const std::string& key, stored_response response, time_point now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    // Evicted while in progress: it still becomes the newest entry.
    order_.push_back({.key = key, .created = now, .done = true, .response = std::move(response)});
    entries_.emplace(key, std::prev(order_.end()));
    expire(now);
    return;
  }
  it->second->done = true;
  it->second->response = std::move(response);
}

void idempotency_cache::abandon(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase(it->second);
  entries_.erase(it);
}

void idempotency_cache::clear() noexcept {
  entries_.clear();
  order_.clear();
}

void idempotency_cache::set_limits(std::size_t max_entries, std::chrono::seconds ttl) noexcept {
  max_entries_ = max_entries;
  ttl_ = ttl;
}

}  // namespace codex::emulator
