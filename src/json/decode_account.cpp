// GET /account.
#include "json/decode_support.hpp"

#include <codex/json/decode.hpp>

namespace codex::json {
using detail::failure;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

namespace {

// Both nested objects are flat string maps: read the three fields each has.
template <class Assign>
bool read_flat(value v, std::string_view field, failure& f, Assign assign) {
  object nested;
  if (f.set(field, v.get_object().get(nested))) return false;
  for (auto member : nested) {
    simdjson::ondemand::field entry;
    std::string_view key;
    if (f.set(field, detail::next_member(std::move(member), entry, key))) return false;
    std::string* target = assign(key);
    if (target != nullptr && !detail::read(entry.value(), *target, field, f)) return false;
  }
  return !f;
}

}  // namespace

result<account> decode_account(const std::string& body) {
  return detail::decode_object<account>(body, "account", [](object& root, account& out, failure& f) {
    detail::required_fields required;
    for (auto member : root) {
      simdjson::ondemand::field entry;
      std::string_view key;
      if (f.set("account", detail::next_member(std::move(member), entry, key))) return;
      if (key == "project") {
        required.mark(0);
        auto& p = out.project;
        if (!read_flat(entry.value(), "account.project", f, [&](std::string_view k) -> std::string* {
              return k == "id" ? &p.id : k == "name" ? &p.name : k == "permission" ? &p.permission : nullptr;
            }))
          return;
      } else if (key == "credential") {
        required.mark(1);
        auto& c = out.credential;
        if (!read_flat(entry.value(), "account.credential", f, [&](std::string_view k) -> std::string* {
              return k == "type" ? &c.type : k == "id" ? &c.id : k == "prefix" ? &c.prefix : nullptr;
            }))
          return;
      } else if (key == "scopes") {
        if (!detail::read(entry.value(), out.scopes, "account.scopes", f)) return;
      }
    }
    static constexpr const char* names[] = {"account.project", "account.credential"};
    if (!f) required.check(0x3, names, f);
  });
}

}  // namespace codex::json
