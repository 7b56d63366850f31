#pragma once
// codex::auth::secret — a credential (API key, client secret, access token) that never
// prints itself and wipes its memory.

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace codex::auth {

/// Holds a credential string. Streaming and to_string() show only redacted(): "***",
/// or for an API key its public prefix ("cdx_ab12***", as GET /account reports it).
/// The bytes live in a buffer of their own (never in a std::string's small-string
/// buffer, which a move would leave behind) and are wiped with OPENSSL_cleanse on
/// destruction, on reassignment, and from the source of a move.
///
/// Thread-safety: like a std::string — concurrent const access is safe.
/// Errors: only std::bad_alloc.
class secret {
 public:
  secret() noexcept = default;
  /// Copies the value. The caller remains responsible for wiping its own copy.
  explicit secret(std::string_view value);
  /// Copies a NUL-terminated value (must not be null).
  explicit secret(const char* value) : secret(std::string_view(value)) {}
  /// Takes the value and wipes the source string.
  explicit secret(std::string&& value);

  /// A second copy of the value, in a buffer of its own.
  secret(const secret& other);
  /// Replaces the value by a copy of `other`'s, wiping the old one. Strong guarantee:
  /// if the copy throws (std::bad_alloc), this secret is unchanged.
  secret& operator=(const secret& other);
  /// Leaves `other` empty; nothing of the value stays behind in it.
  secret(secret&& other) noexcept;
  /// Wipes this value, then takes `other`'s, leaving `other` empty.
  secret& operator=(secret&& other) noexcept;
  ~secret();

  /// The value itself — only for the code that puts it on the wire. Valid while this
  /// secret is alive and not assigned to.
  std::string_view reveal() const noexcept { return {data_.get(), size_}; }

  /// True when the value is empty.
  bool empty() const noexcept { return size_ == 0; }
  /// The value's length in bytes.
  std::size_t size() const noexcept { return size_; }

  /// What may be shown: "cdx_" + 4 characters + "***" for an API key of at least 12
  /// characters, "cs_***" for a client secret, "***" for anything else (tokens included).
  std::string redacted() const;

  /// Compares values in time that depends on the lengths only (CRYPTO_memcmp).
  friend bool operator==(const secret& a, const secret& b) noexcept;

 private:
  void assign(const char* data, std::size_t size);
  void wipe() noexcept;

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
};

/// secret::redacted(); never the value.
std::string to_string(const secret& s);

/// Writes secret::redacted(); never the value.
std::ostream& operator<<(std::ostream& out, const secret& s);

}  // namespace codex::auth
