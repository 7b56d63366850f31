// Documents as users write them (JSONL lines, `codex put` files).
#include "json/decode_support.hpp"

#include <codex/json/decode.hpp>

namespace codex::json {

result<document_input> decode_document_input(const std::string& text) {
  return detail::decode_object<document_input>(
      text, "document", [](simdjson::ondemand::object& root, document_input& out, detail::failure& f) {
        for (auto member : root) {
          simdjson::ondemand::field entry;
          std::string_view key;
          if (f.set("document", detail::next_member(std::move(member), entry, key)))
            return;
          auto value = entry.value();
          bool ok = true;
          if (key == "id") ok = detail::read_optional(value, out.id, "id", f);
          else if (key == "title") ok = detail::read(value, out.title, "title", f);
          else if (key == "body") ok = detail::read(value, out.body, "body", f);
          else if (key == "tags") ok = detail::read(value, out.tags, "tags", f);
          else if (key == "metadata") ok = detail::read(value, out.metadata, "metadata", f);
          else if (key == "public") ok = detail::read(value, out.is_public, "public", f);
          if (!ok) return;
        }
      });
}

}  // namespace codex::json
