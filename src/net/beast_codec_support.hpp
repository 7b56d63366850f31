#pragma once
// What both halves of the HTTP codec use of Beast: the padded body and the mapping of
// Beast's parse errors onto codex's, the readers' exact head limit. Included by the
// codec's two translation units only — the client half (src/net/http_codec.cpp, in
// libcodex) and the server half (src/emulator/http_server_codec.cpp, in the emulator's
// library) — which are the ones compiled with Beast.

#include "net/http_codec.hpp"

#include <codex/error.hpp>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>

namespace codex::net::codec::beast_support {
namespace http = boost::beast::http;
using beast_error = boost::beast::error_code;

/// A string body whose capacity always leaves body_padding spare bytes past the
/// end, so that simdjson can parse the response in place with no copy.
struct padded_string_body {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool is_request, class Fields>
    reader(http::header<is_request, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast_error& ec) {
      // The parser has already checked the length against its body_limit.
      if (length) body_.reserve(static_cast<std::size_t>(*length) + body_padding);
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast_error& ec) {
      const std::size_t extra = boost::beast::buffer_bytes(buffers);
      const std::size_t needed = body_.size() + extra + body_padding;
      if (needed > body_.capacity()) body_.reserve(std::max(needed, body_.capacity() * 2));
      for (auto buffer : boost::beast::buffers_range_ref(buffers))
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
      ec = {};
      return extra;
    }

    void finish(beast_error& ec) {
      ensure_padding(body_);
      ec = {};
    }

   private:
    value_type& body_;
  };

  static void ensure_padding(value_type& body) {
    if (body.capacity() < body.size() + body_padding) body.reserve(body.size() + body_padding);
  }
};

/// Maps Beast's parse errors onto codex's. `too_large` differs by side: a client
/// got too much (response_too_large), a server was sent too much (payload_too_large).
inline std::error_code map_parse_error(const beast_error& ec, errc too_large) {
  if (!ec || ec == http::error::need_more) return {};
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow)
    return make_error_code(too_large);
  if (ec == http::error::end_of_stream || ec == http::error::partial_message)
    return make_error_code(errc::connection_closed);
  return make_error_code(errc::protocol_error);
}

/// Beast checks its header limit against what it is shown at once, so a head a little
/// over the limit passed or failed depending on how its bytes arrived, and a server
/// answered 400 or 431 for the same request (found by fuzz/http_response and
/// fuzz/emulator_request). So the readers turn Beast's limit off and keep their own,
/// exactly: the head, up to and including its blank line, must fit in `limit.max`
/// bytes. Beast consumes a head line by line, so it is shown only what is left of the
/// allowance until the head is done; more bytes than that with the head unfinished is a
/// head too large.
template <class Parser>
inline std::size_t put_with_head_limit(Parser& parser, head_allowance& limit, std::span<const char> bytes, beast_error& ec) {
  auto buffer = [&](std::size_t from, std::size_t to) { return boost::asio::const_buffer(bytes.data() + from, to - from); };
  if (parser.is_header_done()) return parser.put(buffer(0, bytes.size()), ec);
  const std::size_t left = limit.max - limit.used;
  const std::size_t shown = std::min(bytes.size(), left);
  std::size_t used = parser.put(buffer(0, shown), ec);
  if (!parser.is_header_done()) {
    limit.used += used;
    if (ec == http::error::need_more && bytes.size() > left) ec = http::error::header_limit;
    return used;
  }
  // The head ended inside what was shown: the body may go on past it.
  if (!ec && !parser.is_done() && used == shown && shown < bytes.size()) used += parser.put(buffer(used, bytes.size()), ec);
  return used;
}

/// Beast's own header limit, out of the way of put_with_head_limit().
constexpr std::uint32_t no_beast_header_limit = UINT32_MAX;

/// Tells `parser` the peer closed: completes a close-delimited body, or is
/// connection_closed for a message cut short (or for none at all).
template <class Parser>
inline std::error_code put_eof_checked(Parser& parser, errc too_large) {
  // Beast requires that some bytes were parsed before an EOF is reported.
  if (!parser.got_some()) return make_error_code(errc::connection_closed);
  beast_error beast_ec;
  parser.put_eof(beast_ec);
  std::error_code ec = map_parse_error(beast_ec, too_large);
  if (!ec && !parser.is_done()) ec = make_error_code(errc::connection_closed);
  return ec;
}

}  // namespace codex::net::codec::beast_support
