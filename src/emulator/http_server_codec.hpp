#pragma once
// The server half of the HTTP/1.1 codec: the request reader and the response head
// writer of the emulator's https_server and of the tests' server. It lives in the
// emulator's library, so that libcodex ships no server code; it keeps the codec's
// namespace, so that moving it here changed no caller. Readers are driven with put():
// the caller reads bytes from its own socket and feeds them.

#include "net/http_codec.hpp"

#include <codex/net/http_message.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <system_error>

namespace codex::net::codec {

/// One parsed request as a server sees it.
struct server_request {
  http_method method = http_method::get;
  bool method_known = true;  ///< false for methods outside http_method (answer 405)
  std::string method_text;   ///< as sent
  std::string target;
  header_list headers;
  std::string body;         ///< capacity >= size + body_padding
  bool keep_alive = true;
};

/// Parses one request. Errors: payload_too_large (body over the limit — detected
/// from Content-Length before the body is read — or head over the limit: see
/// head_too_large()), protocol_error, connection_closed.
class request_reader {
 public:
  struct limits {
    std::size_t max_body = 8u << 20;
    std::size_t max_header = 16u << 10;  ///< the head up to and including its blank line, exactly
  };
  explicit request_reader(limits lim);
  ~request_reader();
  request_reader(const request_reader&) = delete;
  request_reader& operator=(const request_reader&) = delete;

  std::size_t put(std::span<const char> bytes, std::error_code& ec);
  void put_eof(std::error_code& ec);
  bool done() const noexcept;
  bool header_done() const noexcept;
  /// The header is complete and asks for "Expect: 100-continue": the server
  /// should send "HTTP/1.1 100 Continue" before reading the body (curl waits otherwise).
  bool expects_continue() const noexcept;
  /// put() failed with payload_too_large because of the head (request line and
  /// headers over max_header), not the body: a server answers 431 rather than 413.
  bool head_too_large() const noexcept { return head_too_large_; }
  /// Moves the parsed request out; only after done().
  server_request release();

 private:
  struct parser;
  static constexpr std::size_t storage_size = 1024;
  alignas(std::max_align_t) unsigned char storage_[storage_size];
  parser* parser_;
  head_allowance head_;
  bool head_too_large_ = false;
};

/// Appends a response's status line and headers to `out` (Beast's serializer), with
/// Content-Length = body_size and "Connection: close" unless keep_alive. The caller
/// writes the body after it.
void write_response_head(int status, const header_list& headers, std::size_t body_size,
                         bool keep_alive, std::string& out);

}  // namespace codex::net::codec
