// The HTTP/1.1 codec: Beast's parser and serializer driven on plain byte buffers.
// This is the only file of the SDK that includes Beast (see http_codec.hpp).

#include "net/http_codec.hpp"

#include <codex/error.hpp>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <new>

namespace codex::net::codec {
namespace http = boost::beast::http;
using beast_error = boost::beast::error_code;

namespace {

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

std::optional<http_method> from_verb(http::verb v) {
  switch (v) {
    case http::verb::get: return http_method::get;
    case http::verb::head: return http_method::head;
    case http::verb::post: return http_method::post;
    case http::verb::put: return http_method::put;
    case http::verb::patch: return http_method::patch;
    case http::verb::delete_: return http_method::delete_;
    default: return std::nullopt;
  }
}

/// Maps Beast's parse errors onto codex's. `too_large` differs by side: a client
/// got too much (response_too_large), a server was sent too much (payload_too_large).
std::error_code map_parse_error(const beast_error& ec, errc too_large) {
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
std::size_t put_with_head_limit(Parser& parser, head_allowance& limit, std::span<const char> bytes, beast_error& ec) {
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

/// Runs a serializer over a header-only message and appends its bytes to `out`.
template <class Serializer>
void serialize_into(Serializer& serializer, std::string& out) {
  beast_error ec;
  do {
    serializer.next(ec, [&](beast_error& next_ec, const auto& buffers) {
      next_ec = {};
      for (auto buffer : boost::beast::buffers_range_ref(buffers))
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
      serializer.consume(boost::beast::buffer_bytes(buffers));
    });
  } while (!ec && !serializer.is_done());
}

error_info refuse(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
}

template <class Fields>
void copy_fields(const Fields& from, header_list& to) {
  to.reserve(static_cast<std::size_t>(std::distance(from.begin(), from.end())));
  for (const auto& field : from) to.add(field.name_string(), field.value());
}

/// Appends "Name: value\r\n".
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

/// Host and Content-Length are the transport's own: a caller's copy is not sent.
bool set_by_transport(std::string_view name) { return iequals(name, "Host") || iequals(name, "Content-Length"); }

result<void> check_fields(const header_list& fields) {
  for (const auto& [name, value] : fields) {
    if (!is_valid_field_name(name)) return refuse("a header name is empty or holds a character other than those of an HTTP token");
    if (!is_valid_field_value(value))
      return refuse("the value of header " + std::string(name) + " holds CR, LF, NUL or another control character, which HTTP forbids");
  }
  return {};
}

bool method_has_body(http_method m) {
  return m == http_method::post || m == http_method::put || m == http_method::patch;
}

}  // namespace

// ---- client side -------------------------------------------------------------

// Beast writes names, values and the target as given: a CR or LF in any of them would
// end a line early and let the rest be read as headers of the sender's choosing.
result<void> check_request_head(const http_request& request, std::string_view host) {
  const bool target_ok = !request.target.empty() && std::all_of(request.target.begin(), request.target.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7F;
  });
  if (!target_ok) return refuse("the request target is empty or holds a space, a control character or a non-ASCII byte");
  if (!is_valid_field_value(host)) return refuse("the Host header holds a control character");
  return check_fields(request.headers);
}

result<void> format_fields(const header_list& fields, std::string& out) {
  if (auto refused = check_fields(fields); !refused) return refused;
  for (const auto& [name, value] : fields) append_field(out, name, value);
  return {};
}

// Written by hand rather than through Beast's serializer: that one wants every field
// copied into a beast::http::fields first.
result<void> write_request_head(const http_request& request, std::string_view host, std::string_view preset_fields,
                                std::string& out) {
  if (auto refused = check_request_head(request, host); !refused) return refused;
  append_request_head(request, host, preset_fields, out);
  return {};
}

void append_request_head(const http_request& request, std::string_view host, std::string_view preset_fields,
                         std::string& out) {
  out.append(to_string(request.method));
  out.push_back(' ');
  out.append(request.target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", host);
  out.append(preset_fields);
  for (const auto& [name, value] : request.headers) {
    if (!set_by_transport(name)) append_field(out, name, value);
  }
  if (!request.body.empty() || method_has_body(request.method)) {
    char digits[24];
    const auto end = std::to_chars(std::begin(digits), std::end(digits), request.body.size()).ptr;
    append_field(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  out.append("\r\n");
}

/// Beast's bare parser, writing the status, the fields and the body straight into an
/// http_response: no beast::http::fields in between, one buffer for every field.
struct response_reader::parser final : http::basic_parser<false> {
  http_response out;

  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int, beast_error&) override {}
  void on_response_impl(int code, boost::beast::string_view, int, beast_error&) override { out.status = code; }
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value, beast_error&) override {
    out.headers.add(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
  }
  void on_header_impl(beast_error&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast_error&) override {
    // The parser has already checked the length against its body_limit.
    if (length) out.body.reserve(static_cast<std::size_t>(*length) + body_padding);
  }
  std::size_t on_body_impl(boost::beast::string_view body, beast_error&) override {
    append(body);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, beast_error&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, beast_error&) override {
    append(body);
    return body.size();
  }
  void on_finish_impl(beast_error&) override { padded_string_body::ensure_padding(out.body); }

  void append(boost::beast::string_view bytes) {
    const std::size_t needed = out.body.size() + bytes.size() + body_padding;
    if (needed > out.body.capacity()) out.body.reserve(std::max(needed, out.body.capacity() * 2));
    out.body.append(bytes.data(), bytes.size());
  }
};

response_reader::response_reader(limits lim, bool head_request) : head_{.max = lim.max_header} {
  static_assert(sizeof(parser) <= storage_size && alignof(parser) <= alignof(std::max_align_t));
  parser_ = new (storage_) parser{};
  parser_->out.headers.reserve(16, 512);  // a typical response's fields, in two allocations
  parser_->body_limit(lim.max_body);
  parser_->header_limit(no_beast_header_limit);
  parser_->eager(true);
  if (head_request) parser_->skip(true);
}

response_reader::~response_reader() { parser_->~parser(); }

std::size_t response_reader::put(std::span<const char> bytes, std::error_code& ec) {
  if (!bytes.empty()) started_ = true;
  beast_error beast_ec;
  const std::size_t used = put_with_head_limit(*parser_, head_, bytes, beast_ec);
  ec = map_parse_error(beast_ec, errc::response_too_large);
  return used;
}

void response_reader::put_eof(std::error_code& ec) {
  // Beast requires that some bytes were parsed before an EOF is reported.
  if (!parser_->got_some()) {
    ec = make_error_code(errc::connection_closed);
    return;
  }
  beast_error beast_ec;
  parser_->put_eof(beast_ec);
  ec = map_parse_error(beast_ec, errc::response_too_large);
  if (!ec && !parser_->is_done()) ec = make_error_code(errc::connection_closed);
}

bool response_reader::done() const noexcept { return parser_->is_done(); }

bool response_reader::keep_alive() const noexcept {
  // A close-delimited body (no length, not chunked) ends the connection too.
  return parser_->keep_alive() && !parser_->need_eof();
}

http_response response_reader::release() {
  padded_string_body::ensure_padding(parser_->out.body);
  return std::move(parser_->out);
}

// ---- server side -------------------------------------------------------------

struct request_reader::parser : http::request_parser<padded_string_body> {};

request_reader::request_reader(limits lim) : head_{.max = lim.max_header} {
  static_assert(sizeof(parser) <= storage_size && alignof(parser) <= alignof(std::max_align_t));
  parser_ = new (storage_) parser{};
  parser_->body_limit(lim.max_body);
  parser_->header_limit(no_beast_header_limit);
  parser_->eager(true);
}

request_reader::~request_reader() { parser_->~parser(); }

std::size_t request_reader::put(std::span<const char> bytes, std::error_code& ec) {
  beast_error beast_ec;
  const std::size_t used = put_with_head_limit(*parser_, head_, bytes, beast_ec);
  ec = map_parse_error(beast_ec, errc::payload_too_large);
  head_too_large_ = beast_ec == http::error::header_limit;
  return used;
}

void request_reader::put_eof(std::error_code& ec) {
  // Beast requires that some bytes were parsed before an EOF is reported.
  if (!parser_->got_some()) {
    ec = make_error_code(errc::connection_closed);
    return;
  }
  beast_error beast_ec;
  parser_->put_eof(beast_ec);
  ec = map_parse_error(beast_ec, errc::payload_too_large);
  if (!ec && !parser_->is_done()) ec = make_error_code(errc::connection_closed);
}

bool request_reader::done() const noexcept { return parser_->is_done(); }
bool request_reader::header_done() const noexcept { return parser_->is_header_done(); }

bool request_reader::expects_continue() const noexcept {
  if (!parser_->is_header_done()) return false;
  auto expect = parser_->get()[http::field::expect];
  return iequals(expect, "100-continue");
}

server_request request_reader::release() {
  auto message = parser_->release();
  server_request request;
  request.method_text = std::string(message.method_string());
  request.method = from_verb(message.method()).value_or(http_method::get);
  request.method_known = from_verb(message.method()).has_value();
  request.target = std::string(message.target());
  request.keep_alive = message.keep_alive();
  copy_fields(message.base(), request.headers);
  request.body = std::move(message.body());
  padded_string_body::ensure_padding(request.body);
  return request;
}

void write_response_head(int status, const header_list& headers, std::size_t body_size,
                         bool keep_alive, std::string& out) {
  http::response<http::empty_body> head{static_cast<http::status>(status), 11};
  for (const auto& [name, value] : headers) head.insert(name, value);
  head.content_length(body_size);
  head.keep_alive(keep_alive);
  http::serializer<false, http::empty_body> serializer{head};
  serialize_into(serializer, out);
}

}  // namespace codex::net::codec
