#pragma once
// Idempotency-Key support: the first response to (credential, method, path, key) is
// kept for a while and replayed byte for byte — status, every header (its original
// X-Request-Id included) and body — for every repeat. Bounded: entries expire after
// a TTL and the oldest are evicted past a maximum count.

#include <codex/net/http_message.hpp>

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace codex::emulator {

/// A response as first sent.
struct stored_response {
  int status = 0;
  net::header_list headers;
  std::string body;
};

/// What to do with a request that carries an Idempotency-Key.
enum class idempotency_state {
  first,        ///< not seen: process it, then complete() (or abandon()) the key
  replay,       ///< seen and finished: send the stored response
  in_progress,  ///< seen and still being processed by another thread: 409
};

/// Not thread-safe: the service calls it under its state mutex. Time is injected.
class idempotency_cache {
 public:
  using time_point = std::chrono::steady_clock::duration;  ///< any monotonic epoch

  idempotency_cache(std::size_t max_entries, std::chrono::seconds ttl) : max_entries_(max_entries), ttl_(ttl) {}

  /// The cache key for a request.
  static std::string make_key(std::string_view credential_id, std::string_view method, std::string_view path,
                              std::string_view idempotency_key);

  /// Looks `key` up at `now`; on `first` the key is reserved (in progress), on
  /// `replay` the stored response is copied to `out`.
  idempotency_state begin(const std::string& key, time_point now, stored_response& out);
  /// Stores the response of a key reserved by begin().
  void complete(const std::string& key, stored_response response, time_point now);
  /// Releases a reservation without storing (a response that must not be replayed, e.g. 5xx).
  void abandon(const std::string& key);

  std::size_t size() const noexcept { return entries_.size(); }
  void clear() noexcept;
  /// Changes the bounds (existing entries over them go at the next begin()).
  void set_limits(std::size_t max_entries, std::chrono::seconds ttl) noexcept;

 private:
  struct entry {
    std::string key;
    time_point created{};
    bool done = false;
    stored_response response;
  };
  void expire(time_point now);

  std::list<entry> order_;  // oldest first
  std::unordered_map<std::string, std::list<entry>::iterator> entries_;
  std::size_t max_entries_;
  std::chrono::seconds ttl_;
};

}  // namespace codex::emulator
