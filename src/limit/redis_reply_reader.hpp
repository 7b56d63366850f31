#pragma once
// Reading RESP replies from bytes as they arrive: hiredis's redisReader, owned, with its
// replies turned into codex's redis_reply. Separate from the client so that it can be
// driven with no socket (fuzz/redis_reply.cpp does).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

struct redisReader;

namespace codex::limit {

/// One RESP reply.
struct redis_reply {
  enum class kind { string, status, error, integer, nil, array };
  kind type = kind::nil;
  std::string text;          ///< string, status and error replies
  long long integer = 0;     ///< integer replies
  std::vector<redis_reply> elements;

  bool is_error() const noexcept { return type == kind::error; }
};

namespace detail {

/// One connection's reply parser. Not thread-safe. Errors: std::bad_alloc from the
/// constructor.
class reply_reader {
 public:
  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  /// Appends bytes read from the connection; false when the reader cannot take them.
  bool feed(const char* data, std::size_t size);

  /// A complete reply, nullopt when more bytes are needed; false in `ok` on a protocol
  /// error (after which the connection must be dropped).
  std::optional<redis_reply> next(bool& ok);

 private:
  redisReader* reader_;
};

}  // namespace detail
}  // namespace codex::limit
