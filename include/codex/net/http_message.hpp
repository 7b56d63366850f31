#pragma once
// Raw HTTP/1.1 messages as the transport sends and receives them: no JSON, no auth.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codex::net {

/// Bytes that every response body has as spare capacity past its end, so that
/// simdjson can parse it in place (equals SIMDJSON_PADDING; checked where simdjson is used).
inline constexpr std::size_t body_padding = 64;

enum class http_method : std::uint8_t { get, head, post, put, patch, delete_ };

/// "GET", "POST", ...
std::string_view to_string(http_method m) noexcept;

/// True for the methods RFC 9110 calls idempotent (GET, HEAD, PUT, DELETE).
bool is_idempotent(http_method m) noexcept;

/// Case-insensitive ASCII comparison, as HTTP field names need.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// True when `name` may be sent as a field name: an RFC 9110 token (letters, digits
/// and !#$%&'*+-.^_`|~), not empty. Thread-safe (pure).
bool is_valid_field_name(std::string_view name) noexcept;

/// True when `value` may be sent as a field value (RFC 9110 §5.5): visible ASCII,
/// space, tab and bytes 0x80–0xFF — no CR, LF, NUL, DEL or other control character, so
/// that a value can never end its line and start another header. Thread-safe (pure).
bool is_valid_field_value(std::string_view value) noexcept;

/// An ordered list of header fields with case-insensitive lookup. Not thread-safe.
class header_list {
 public:
  using field = std::pair<std::string, std::string>;

  /// Appends a field (repeats allowed).
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// Replaces every field of that name by one with this value.
  void set(std::string_view name, std::string value);
  /// Removes every field of that name.
  void erase(std::string_view name);
  /// The first field of that name.
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  void reserve(std::size_t n) { fields_.reserve(n); }
  void clear() noexcept { fields_.clear(); }

 private:
  std::vector<field> fields_;
};

/// A request to send. `target` is the origin-form path and query ("/v1/documents?limit=5").
/// Host, Content-Length and Connection are set by the transport.
struct http_request {
  http_method method = http_method::get;
  std::string target = "/";
  header_list headers;
  std::string body;
};

/// A complete response. `body.capacity() >= body.size() + body_padding` always holds.
struct http_response {
  int status = 0;
  header_list headers;
  std::string body;
};

}  // namespace codex::net
