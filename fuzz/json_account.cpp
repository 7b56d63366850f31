// decode_account (src/json/decode_account.cpp): the answer of GET /account.
// Invariant: the round trip of json_round_trip.hpp.

#include <codex/json/decode.hpp>

#include "json_models.hpp"
#include "json_round_trip.hpp"

namespace {

using namespace codex;

void write_account(const account& a, json::writer& w) {
  w.begin_object().key("project").begin_object().key("id").string(a.project.id).key("name").string(a.project.name)
      .key("permission").string(a.project.permission).end_object();
  w.key("credential").begin_object().key("type").string(a.credential.type).key("id").string(a.credential.id)
      .key("prefix").string(a.credential.prefix).end_object();
  w.key("scopes");
  fuzz::write_strings(a.scopes, w);
  w.end_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::check_round_trip(
      fuzz::as_text(data, size), [](const std::string& body) { return json::decode_account(body); }, write_account,
      fuzz::same);
  return 0;
}
