#pragma once
// Which route a request target names: a pure function of method and path, so that
// 404/405 decisions are tested without a server. Also the query-string reader.

#include <codex/net/http_message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace codex::emulator {

enum class route_id {
  token,             ///< POST /v1/auth/token
  account,           ///< GET /v1/account
  schema,            ///< GET /v1/schema
  documents,         ///< GET|POST /v1/documents
  document,          ///< GET|PATCH|DELETE /v1/documents/{id}
  batch,             ///< POST /v1/documents/batch
  batch_get,         ///< POST /v1/documents/batch_get
  jwks,              ///< GET /.well-known/jwks.json
  admin_projects,    ///< POST /_emulator/projects
  admin_keys,        ///< POST /_emulator/keys
  admin_regenerate,  ///< POST /_emulator/keys/{id}/regenerate
  admin_config,      ///< GET|POST /_emulator/config
  admin_stats,       ///< GET /_emulator/stats
  admin_reset,       ///< POST /_emulator/reset
};

/// The outcome of routing.
struct route_match {
  std::optional<route_id> id;  ///< set when path and method match
  int status = 200;            ///< 404 (no such path) or 405 (path exists, method does not)
  std::string_view allow;      ///< with 405: the Allow header value
  std::string param;           ///< {id} of document / admin_regenerate routes, percent-decoded
  bool admin = false;          ///< the path is under /_emulator/ (even when not matched)
};

/// The API prefix of every /v1 route.
inline constexpr std::string_view api_prefix = "/v1";

/// Routes `path` (no query). `method_known` false: a method outside http_method.
route_match match_route(net::http_method method, bool method_known, std::string_view path);

/// Splits a request target into path and query (without '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept;

/// Percent-decodes (and '+' as space in queries); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// The first value of query parameter `name`, decoded; nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace codex::emulator
