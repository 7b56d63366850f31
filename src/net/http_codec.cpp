// The HTTP/1.1 codec: Beast's parser and serializer driven on plain byte buffers.
// The client half; the server half is src/emulator/http_server_codec.cpp.

#include "net/http_codec.hpp"

#include "net/beast_codec_support.hpp"

#include <codex/error.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <new>

namespace codex::net::codec {
namespace http = boost::beast::http;
using beast_support::beast_error;
using beast_support::map_parse_error;
using beast_support::padded_string_body;
using beast_support::no_beast_header_limit;
using beast_support::put_eof_checked;
using beast_support::put_with_head_limit;

namespace {

error_info refuse(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
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

void response_reader::put_eof(std::error_code& ec) { ec = put_eof_checked(*parser_, errc::response_too_large); }

bool response_reader::done() const noexcept { return parser_->is_done(); }

bool response_reader::keep_alive() const noexcept {
  // A close-delimited body (no length, not chunked) ends the connection too.
  return parser_->keep_alive() && !parser_->need_eof();
}

http_response response_reader::release() {
  padded_string_body::ensure_padding(parser_->out.body);
  return std::move(parser_->out);
}

}  // namespace codex::net::codec
