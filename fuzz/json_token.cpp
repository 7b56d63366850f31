// decode_token_response (src/json/decode_token.cpp): the answer of POST /auth/token.
// Invariants: the round trip of json_round_trip.hpp; an access token that decodes can
// be sent as a header value (no CR, LF or other control character).

#include <codex/json/decode.hpp>
#include <codex/net/http_message.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

namespace {

using namespace codex;

bool equal(const json::token_response& a, const json::token_response& b) {
  return a.access_token == b.access_token && a.token_type == b.token_type && a.expires_in == b.expires_in &&
         a.scope == b.scope;
}

void write_token(const json::token_response& t, json::writer& w) {
  w.begin_object().key("access_token").string(t.access_token).key("token_type").string(t.token_type)
      .key("expires_in").int64(t.expires_in).key("scope").string(t.scope).end_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  fuzz::check_round_trip(
      input, [](const std::string& body) { return json::decode_token_response(body); }, write_token, equal);
  if (const auto t = json::decode_token_response(fuzz::padded(input)))
    FUZZ_CHECK(net::is_valid_field_value(t->access_token));
  return 0;
}
