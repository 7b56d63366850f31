// The server half of the HTTP/1.1 codec (see http_server_codec.hpp): Beast's request
// parser and response serializer on plain byte buffers, in the emulator's library.

#include "emulator/http_server_codec.hpp"

#include "net/beast_codec_support.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <iterator>
#include <new>
#include <optional>

namespace codex::net::codec {
namespace http = boost::beast::http;
using beast_support::beast_error;
using beast_support::map_parse_error;
using beast_support::padded_string_body;
using beast_support::no_beast_header_limit;
using beast_support::put_eof_checked;
using beast_support::put_with_head_limit;

namespace {

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

template <class Fields>
void copy_fields(const Fields& from, header_list& to) {
  to.reserve(static_cast<std::size_t>(std::distance(from.begin(), from.end())));
  for (const auto& field : from) to.add(field.name_string(), field.value());
}

}  // namespace

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

void request_reader::put_eof(std::error_code& ec) { ec = put_eof_checked(*parser_, errc::payload_too_large); }

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
