// POST /auth/token.
#include "json/decode_support.hpp"

#include <codex/json/decode.hpp>
#include <codex/net/http_message.hpp>

#include <openssl/crypto.h>

namespace codex::json {

result<token_response> decode_token_response(const std::string& body) {
  using detail::failure;
  auto decoded = detail::decode_object<token_response>(
      body, "token", [](simdjson::ondemand::object& root, token_response& out, failure& f) {
        detail::required_fields required;
        for (auto member : root) {
          simdjson::ondemand::field entry;
          std::string_view key;
          if (f.set("token", detail::next_member(std::move(member), entry, key))) return;
          auto item = entry.value();
          bool ok = true;
          if (key == "access_token") {
            ok = detail::read(item, out.access_token, "access_token", f), required.mark(0);
          } else if (key == "expires_in") {
            ok = detail::read(item, out.expires_in, "expires_in", f), required.mark(1);
          } else if (key == "token_type") {
            ok = detail::read(item, out.token_type, "token_type", f);
          } else if (key == "scope") {
            ok = detail::read(item, out.scope, "scope", f);
          }
          if (!ok) return;
        }
        static constexpr const char* names[] = {"access_token", "expires_in"};
        if (!f) required.check(0x3, names, f);
      });
  // The token goes into an Authorization header as it is: one with a line break would
  // add headers of the server's choosing to every request. Refused here, it is never cached.
  if (decoded && !net::is_valid_field_value(decoded->access_token)) {
    OPENSSL_cleanse(decoded->access_token.data(), decoded->access_token.size());
    return error_info{.code = make_error_code(errc::decode_error),
                      .message = "token: the access_token is malformed: it holds CR, LF, NUL or another control "
                                 "character, which no HTTP header may carry"};
  }
  return decoded;
}

}  // namespace codex::json
