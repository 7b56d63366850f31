#include "scripted_listing.hpp"

#include "emulator/http_server_codec.hpp"

#include <string_view>

namespace codex::test {
namespace {

emulator::response_plan json_plan(int status, std::string body) {
  emulator::response_plan plan;
  plan.status = status;
  plan.headers.add("Content-Type", "application/json");
  plan.body = std::move(body);
  return plan;
}

/// The value of `name` in the target's query, or "" (the script's cursors need no
/// percent-decoding: tests choose plain ones).
std::string query_parameter(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string document_json(const std::string& id) {
  return R"({"id":")" + id + R"(","project_id":"prj_script","version":1,"created_at":"2026-01-01T00:00:00Z",)"
         R"("updated_at":"2026-01-01T00:00:00Z","title":"t","body":"b","tags":[]})";
}

}  // namespace

emulator::response_plan scripted_listing::answer(const net::codec::server_request& request) {
  ++requests_;
  const std::string_view target = request.target;
  if (request.method != net::http_method::get || target.substr(0, target.find('?')) != "/v1/documents")
    return json_plan(405, R"({"status":405,"error":"method_not_allowed","message":"a listing only"})");
  const auto found = pages_.find(query_parameter(target, "cursor"));
  if (found == pages_.end()) return json_plan(404, R"({"status":404,"error":"not_found","message":"no such cursor"})");
  std::string body = R"({"data":[)";
  for (const auto& id : found->second.ids) {
    if (body.back() != '[') body += ',';
    body += document_json(id);
  }
  body += R"(],"next_cursor":)";
  body += found->second.next_cursor ? '"' + *found->second.next_cursor + '"' : std::string("null");
  body += '}';
  return json_plan(200, std::move(body));
}

}  // namespace codex::test
