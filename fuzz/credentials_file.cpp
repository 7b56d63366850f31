// decode_credentials_file (src/json/credentials_file.cpp): the emulator's credentials.json,
// which the CLI and config::from_env() read from disk.
// Invariant: the round trip of json_round_trip.hpp (secrets included, by value).

#include "json/credentials_file.hpp"

#include "json_round_trip.hpp"

namespace {

using namespace codex;

bool equal(const json::credentials_file& a, const json::credentials_file& b) {
  return a.base_url == b.base_url && a.ca_file == b.ca_file && a.project_id == b.project_id &&
         a.api_key == b.api_key && a.read_only_api_key == b.read_only_api_key && a.client_id == b.client_id &&
         a.client_secret == b.client_secret;
}

void write_file(const json::credentials_file& c, json::writer& w) {
  w.begin_object().key("base_url").string(c.base_url).key("ca_file").string(c.ca_file).key("project_id")
      .string(c.project_id).key("api_key").string(c.api_key.reveal()).key("read_only_api_key")
      .string(c.read_only_api_key.reveal()).key("client_id").string(c.client_id).key("client_secret")
      .string(c.client_secret.reveal()).end_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::check_round_trip(
      fuzz::as_text(data, size), [](const std::string& text) { return json::decode_credentials_file(text); },
      write_file, equal);
  return 0;
}
