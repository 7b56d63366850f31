#pragma once
// Raw HTTP/1.1 messages as the transport sends and receives them: no JSON, no auth.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codex::net {

/// Bytes that every response body has as spare capacity past its end, so that
/// simdjson can parse it in place (equals SIMDJSON_PADDING; checked where simdjson is used).
inline constexpr std::size_t body_padding = 64;

/// A request method (`delete_` is DELETE: `delete` is a keyword).
enum class http_method : std::uint8_t { get, head, post, put, patch, delete_ };

/// "GET", "POST", ...
std::string_view to_string(http_method m) noexcept;

/// True for the methods RFC 9110 calls idempotent (GET, HEAD, PUT, DELETE).
bool is_idempotent(http_method m) noexcept;

/// Case-insensitive ASCII comparison, as HTTP field names need.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// True when `name` may be sent as a field name: an RFC 9110 token (letters, digits
/// and any of ! \# $ % & ' * + - .\ ^ _ | ~ and the backtick), not empty. Thread-safe (pure).
bool is_valid_field_name(std::string_view name) noexcept;

/// True when `value` may be sent as a field value (RFC 9110 §5.5): visible ASCII,
/// space, tab and bytes 0x80–0xFF — no CR, LF, NUL, DEL or other control character, so
/// that a value can never end its line and start another header. Thread-safe (pure).
bool is_valid_field_value(std::string_view value) noexcept;

/// An ordered list of header fields with case-insensitive lookup. Every name and
/// value lives in one buffer, so that a list costs two allocations however many
/// fields it holds (none while empty). Iteration yields pairs of views, valid until the
/// list is next changed. Not thread-safe.
class header_list {
  struct entry {
    std::uint32_t name_at;
    std::uint32_t name_size;
    std::uint32_t value_at;
    std::uint32_t value_size;
  };

 public:
  /// One field: its name and value, as views into the list's buffer.
  using field = std::pair<std::string_view, std::string_view>;

  /// A forward iterator over the fields, in the order they were added. Invalidated,
  /// as the views it yields, by any change to the list.
  class const_iterator {
   public:
    using value_type = field;                            ///< a (name, value) pair of views
    using difference_type = std::ptrdiff_t;              ///< as for any iterator
    using reference = field;                             ///< fields are yielded by value
    using iterator_category = std::forward_iterator_tag; ///< a forward iterator
    /// A singular iterator (compares equal only to other singular ones).
    const_iterator() = default;
    /// The current field. Precondition: not end().
    field operator*() const noexcept { return owner_->at(*at_); }
    /// Moves to the next field.
    const_iterator& operator++() noexcept {
      ++at_;
      return *this;
    }
    /// Moves to the next field; returns the iterator as it was.
    const_iterator operator++(int) noexcept {
      auto before = *this;
      ++at_;
      return before;
    }
    /// True when both point at the same field of the same list.
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept { return a.at_ == b.at_; }

   private:
    friend class header_list;
    const_iterator(const header_list* owner, const entry* at) : owner_(owner), at_(at) {}
    const header_list* owner_ = nullptr;
    const entry* at_ = nullptr;
  };

  /// Appends a field (repeats allowed).
  void add(std::string_view name, std::string_view value);
  /// Replaces every field of that name by one with this value.
  void set(std::string_view name, std::string_view value);
  /// Removes every field of that name (their bytes stay in the buffer until clear()).
  void erase(std::string_view name);
  /// The first field of that name.
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  /// True when a field of that name (case-insensitive) is present.
  bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

  /// The first field, in the order they were added.
  const_iterator begin() const noexcept { return {this, entries_.data()}; }
  /// Past the last field.
  const_iterator end() const noexcept { return {this, entries_.data() + entries_.size()}; }
  /// The number of fields (repeats counted).
  std::size_t size() const noexcept { return entries_.size(); }
  /// True when the list holds no field.
  bool empty() const noexcept { return entries_.empty(); }
  /// Room for `fields` fields of `bytes` bytes of names and values in all.
  void reserve(std::size_t fields, std::size_t bytes = 0) {
    entries_.reserve(fields);
    text_.reserve(bytes);
  }
  /// Removes every field and their bytes; keeps the capacity.
  void clear() noexcept {
    entries_.clear();
    text_.clear();
  }
  /// The buffer that holds every name and value (to cleanse a credential's bytes).
  std::string& storage() noexcept { return text_; }

 private:
  field at(const entry& e) const noexcept {
    return {std::string_view(text_).substr(e.name_at, e.name_size), std::string_view(text_).substr(e.value_at, e.value_size)};
  }
  std::string text_;
  std::vector<entry> entries_;
};

/// A request to send. `target` is the origin-form path and query ("/v1/documents?limit=5").
/// Host, Content-Length and Connection are set by the transport.
struct http_request {
  http_method method = http_method::get;  ///< default GET
  std::string target = "/";               ///< origin-form: path and query, percent-encoded
  header_list headers;                    ///< the caller's fields, sent in order (a Host or Content-Length among them is not sent)
  std::string body;                       ///< sent as is, with its Content-Length; may be empty
};

/// A complete response. `body.capacity() >= body.size() + body_padding` always holds.
struct http_response {
  int status = 0;        ///< the status code, e.g. 200
  header_list headers;   ///< the fields as received, in order
  std::string body;      ///< the whole body, any chunked framing removed
};

}  // namespace codex::net
