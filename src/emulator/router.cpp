#include "emulator/router.hpp"

namespace codex::emulator {
namespace {

using net::http_method;

struct method_set {
  bool get = false, post = false, patch = false, del = false;
  std::string_view allow;
};

route_match dispatch(route_id id, const method_set& allowed, http_method method, bool method_known) {
  route_match m;
  const bool ok = method_known && ((method == http_method::get && allowed.get) ||
                                   (method == http_method::head && allowed.get) ||
                                   (method == http_method::post && allowed.post) ||
                                   (method == http_method::patch && allowed.patch) ||
                                   (method == http_method::delete_ && allowed.del));
  if (ok) {
    m.id = id;
  } else {
    m.status = 405;
    m.allow = allowed.allow;
  }
  return m;
}

constexpr method_set get_only{.get = true, .allow = "GET, HEAD"};
constexpr method_set post_only{.post = true, .allow = "POST"};
constexpr method_set get_post{.get = true, .post = true, .allow = "GET, HEAD, POST"};
constexpr method_set one_document{.get = true, .patch = true, .del = true, .allow = "GET, HEAD, PATCH, DELETE"};

route_match not_found() {
  route_match m;
  m.status = 404;
  return m;
}

route_match match_api(http_method method, bool known, std::string_view rest) {
  if (rest == "/auth/token") return dispatch(route_id::token, post_only, method, known);
  if (rest == "/account") return dispatch(route_id::account, get_only, method, known);
  if (rest == "/schema") return dispatch(route_id::schema, get_only, method, known);
  if (rest == "/documents") return dispatch(route_id::documents, get_post, method, known);
  if (rest == "/documents/batch") return dispatch(route_id::batch, post_only, method, known);
  if (rest == "/documents/batch_get") return dispatch(route_id::batch_get, post_only, method, known);
  constexpr std::string_view docs = "/documents/";
  if (rest.starts_with(docs)) {
    const std::string_view id = rest.substr(docs.size());
    auto decoded = percent_decode(id, false);
    if (id.empty() || id.find('/') != std::string_view::npos || !decoded) return not_found();
    route_match m = dispatch(route_id::document, one_document, method, known);
    m.param = std::move(*decoded);
    return m;
  }
  return not_found();
}

route_match match_admin(http_method method, bool known, std::string_view rest) {
  route_match m = not_found();
  if (rest == "/projects") m = dispatch(route_id::admin_projects, post_only, method, known);
  else if (rest == "/keys") m = dispatch(route_id::admin_keys, post_only, method, known);
  else if (rest == "/config") m = dispatch(route_id::admin_config, get_post, method, known);
  else if (rest == "/stats") m = dispatch(route_id::admin_stats, get_only, method, known);
  else if (rest == "/reset") m = dispatch(route_id::admin_reset, post_only, method, known);
  else if (constexpr std::string_view keys = "/keys/", tail = "/regenerate";
           rest.starts_with(keys) && rest.ends_with(tail) && rest.size() > keys.size() + tail.size()) {
    const std::string_view id = rest.substr(keys.size(), rest.size() - keys.size() - tail.size());
    if (id.find('/') == std::string_view::npos) {
      m = dispatch(route_id::admin_regenerate, post_only, method, known);
      m.param = std::string(id);
    }
  }
  m.admin = true;
  return m;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

route_match match_route(http_method method, bool method_known, std::string_view path) {
  if (path.starts_with(api_prefix) && path.size() > api_prefix.size() && path[api_prefix.size()] == '/') {
    return match_api(method, method_known, path.substr(api_prefix.size()));
  }
  if (path == "/.well-known/jwks.json") return dispatch(route_id::jwks, get_only, method, method_known);
  if (path.starts_with("/_emulator/")) return match_admin(method, method_known, path.substr(10));
  return not_found();
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

}  // namespace codex::emulator
