#include "json/credentials_file.hpp"

#include "json/decode_support.hpp"

#include <openssl/crypto.h>

namespace codex::json {

result<credentials_file> decode_credentials_file(const std::string& text) {
  return detail::decode_object<credentials_file>(
      text, "credentials file", [](simdjson::ondemand::object& root, credentials_file& out, detail::failure& f) {
        bool have_base_url = false;
        for (auto member : root) {
          simdjson::ondemand::field entry;
          std::string_view key;
          if (f.set("credentials", detail::next_member(std::move(member), entry, key)))
            return;
          std::string value;
          if (!detail::read(entry.value(), value, key, f)) return;
          if (key == "base_url") {
            out.base_url = std::move(value);
            have_base_url = true;
          } else if (key == "ca_file") {
            out.ca_file = std::move(value);
          } else if (key == "project_id") {
            out.project_id = std::move(value);
          } else if (key == "client_id") {
            out.client_id = std::move(value);
          } else if (key == "api_key") {
            out.api_key = auth::secret(std::move(value));
          } else if (key == "read_only_api_key") {
            out.read_only_api_key = auth::secret(std::move(value));
          } else if (key == "client_secret") {
            out.client_secret = auth::secret(std::move(value));
          }
          OPENSSL_cleanse(value.data(), value.size());  // other fields (admin_token) are secrets too
        }
        if (!f && !have_base_url) f.set("base_url", simdjson::NO_SUCH_FIELD);
      });
}

}  // namespace codex::json
