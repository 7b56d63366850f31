#include <codex/auth/jwt.hpp>

#include "auth/base64.hpp"

#include <simdjson.h>

#include <cmath>

namespace codex::auth {
namespace {

result<jwt_claims> garbage() { return errc::decode_error; }

// A token's claims are nested this deep at most; deeper payloads are refused.
constexpr std::size_t max_claims_depth = 64;

// A NumericDate: an integer, or a number whose fraction is truncated.
std::optional<std::int64_t> numeric_date(simdjson::dom::element value) {
  std::int64_t whole = 0;
  if (value.is_int64() && value.get_int64().get(whole) == simdjson::SUCCESS) return whole;
  double number = 0;
  if (!value.is_double() || value.get_double().get(number) != simdjson::SUCCESS || !std::isfinite(number))
    return std::nullopt;
  if (number >= 9.2e18 || number <= -9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(std::trunc(number));
}

// "scope": a string, or an array of strings joined with spaces.
bool read_scope(simdjson::dom::element value, std::string& scope) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    scope.assign(text);
    return true;
  }
  simdjson::dom::array items;
  if (value.get_array().get(items) != simdjson::SUCCESS) return false;
  scope.clear();
  for (simdjson::dom::element item : items) {
    if (item.get_string().get(text) != simdjson::SUCCESS) return false;
    if (!scope.empty()) scope += ' ';
    scope += text;
  }
  return true;
}

}  // namespace

result<jwt_claims> read_jwt_claims(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return garbage();
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return garbage();
  const auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return garbage();

  // simdjson's DOM parser, not On-Demand: it validates the whole payload (members the
  // SDK skips included) and holds nesting to a depth, as a payload from a server
  // deserves. Tokens are read once per fetch: a parser per call is cheap enough.
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.allocate(payload->size(), max_claims_depth) != simdjson::SUCCESS ||
      parser.parse(*payload).get_object().get(object) != simdjson::SUCCESS)
    return garbage();
  jwt_claims claims;
  for (const auto [key, value] : object) {
    if (key == "exp") {
      claims.exp = numeric_date(value);
      if (!claims.exp) return garbage();
    } else if (key == "sub") {
      std::string_view sub;
      if (value.get_string().get(sub) != simdjson::SUCCESS) return garbage();
      claims.sub.emplace(sub);
    } else if (key == "scope") {
      if (!read_scope(value, claims.scope.emplace())) return garbage();
    }
  }
  return claims;
}

}  // namespace codex::auth
