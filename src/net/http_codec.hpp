#pragma once
// HTTP/1.1 wire codec over plain byte buffers, client half: the request head writer
// and the response reader. The server half (request reader, response head writer) is
// src/emulator/http_server_codec.hpp, in the emulator's library: libcodex holds no
// server code. Beast is used in the two halves' .cpp files only. Readers are driven
// with put(): the caller reads bytes from its own (standalone Asio) socket and feeds them.

#include <codex/net/http_message.hpp>
#include <codex/result.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace codex::net::codec {

// ---- client side -------------------------------------------------------------

/// Whether `request` (with this Host) can be written as the head it describes and no
/// other: errc::invalid_argument when the target is empty or holds a space, control or
/// non-ASCII byte, a field name is not a token, or the Host or a field value holds CR,
/// LF, NUL or another control character (is_valid_field_value) — bytes that would end
/// a line early and start headers of the sender's choosing. The message names the
/// field, never its value (it may be a credential). Pure.
result<void> check_request_head(const http_request& request, std::string_view host);

/// Appends "Name: value\r\n" for each field to `out`, once check_request_head()'s
/// rules for fields hold (errc::invalid_argument otherwise, `out` unchanged): the lines
/// a client sends with every request (Accept, User-Agent, a fixed credential), made
/// once and passed to write_request_head() as `preset_fields`.
result<void> format_fields(const header_list& fields, std::string& out);

/// Appends the request line and header block of `request` to `out`. The body is not
/// copied: the caller writes request.body right after `out`. Writes Host, then
/// `preset_fields` as they are (lines made by format_fields()), then the request's own
/// fields — except Host and Content-Length, which are the transport's — then
/// Content-Length (when a body or a method that carries one).
/// Every request the SDK sends passes here, so no head that check_request_head()
/// refuses is ever written: its error is returned and `out` is left as it was.
result<void> write_request_head(const http_request& request, std::string_view host, std::string_view preset_fields,
                                std::string& out);

/// write_request_head() without the check, for a head that check_request_head() has
/// already accepted with this Host: the transport checks each request once, before it
/// takes a connection, and its connections write with this.
void append_request_head(const http_request& request, std::string_view host, std::string_view preset_fields,
                         std::string& out);

/// How much of a head a reader may still take: the limit is the readers' own, not
/// Beast's (see put_with_head_limit in http_codec.cpp).
struct head_allowance {
  std::size_t max = 0;
  std::size_t used = 0;  ///< bytes of the head consumed so far
};

/// Parses one response. Make a new one per response (a parser is single-use).
/// Errors from put()/finish(): protocol_error, response_too_large, connection_closed.
class response_reader {
 public:
  struct limits {
    std::size_t max_body = 64u << 20;
    std::size_t max_header = 64u << 10;  ///< the head up to and including its blank line, exactly
  };
  /// `head_request`: the response to a HEAD has no body whatever Content-Length says.
  response_reader(limits lim, bool head_request);
  ~response_reader();
  response_reader(const response_reader&) = delete;
  response_reader& operator=(const response_reader&) = delete;

  /// Feeds bytes; returns how many were consumed (fewer than given only once the
  /// message is done, or on error).
  std::size_t put(std::span<const char> bytes, std::error_code& ec);
  /// Tells the parser the peer closed: completes a close-delimited body or reports
  /// connection_closed for a truncated message.
  void put_eof(std::error_code& ec);
  bool done() const noexcept;
  /// True once any byte of a response was received (so a retry is no longer safe).
  bool started() const noexcept { return started_; }
  /// The server allows the connection to be reused (HTTP/1.1, no Connection: close).
  bool keep_alive() const noexcept;
  /// Moves the parsed response out; only after done().
  http_response release();

 private:
  struct parser;
  static constexpr std::size_t storage_size = 1024;
  alignas(std::max_align_t) unsigned char storage_[storage_size];
  parser* parser_;
  head_allowance head_;
  bool started_ = false;
};

}  // namespace codex::net::codec
