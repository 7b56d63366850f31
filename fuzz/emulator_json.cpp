// The emulator's JSON input (src/emulator/json_input.cpp): request bodies of
// POST/PATCH /documents, POST /documents/batch and POST /documents/batch_get, as any
// client may send them.
// Invariants: padded and unpadded bodies give the same outcome (the same input, or
// the same status and code); an accepted document, written back as JSON, reads back
// as the same input; an error is a 4xx.

#include "emulator/json_input.hpp"

#include <codex/json/writer.hpp>

#include "support.hpp"

namespace {

using namespace codex;
using emulator::api_error;
using emulator::document_input;

bool same(const api_error& a, const api_error& b) { return a.status == b.status && a.code == b.code; }

bool same(const document_input& a, const document_input& b) {
  return a.id == b.id && a.title == b.title && a.body == b.body && a.tags == b.tags && a.metadata == b.metadata &&
         a.is_public == b.is_public;
}

bool same(const std::vector<std::string>& a, const std::vector<std::string>& b) { return a == b; }

template <class T>
bool same(const std::variant<T, api_error>& a, const std::variant<T, api_error>& b) {
  if (a.index() != b.index()) return false;
  if (a.index() == 1) return same(std::get<1>(a), std::get<1>(b));
  if constexpr (std::is_same_v<T, emulator::batch_items>) {
    const auto& x = std::get<0>(a);
    const auto& y = std::get<0>(b);
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i])) return false;
    return true;
  } else {
    return same(std::get<0>(a), std::get<0>(b));
  }
}

void write_value(const emulator::metadata_value& value, json::writer& w) {
  std::visit([&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, std::nullptr_t>) w.null();
    else if constexpr (std::is_same_v<V, bool>) w.boolean(v);
    else if constexpr (std::is_same_v<V, std::int64_t>) w.int64(v);
    else if constexpr (std::is_same_v<V, std::uint64_t>) w.uint64(v);
    else if constexpr (std::is_same_v<V, double>) w.number(v);
    else w.string(v);
  }, value);
}

std::string written_back(const document_input& in) {
  std::string text;
  json::writer w(text);
  w.begin_object();
  if (in.id) w.key("id").string(*in.id);
  if (in.title) w.key("title").string(*in.title);
  if (in.body) w.key("body").string(*in.body);
  if (in.tags) {
    w.key("tags").begin_array();
    for (const auto& tag : *in.tags) w.string(tag);
    w.end_array();
  }
  if (in.metadata) {
    w.key("metadata").begin_object();
    for (const auto& [key, value] : *in.metadata) write_value(value, w.key(key));
    w.end_object();
  }
  if (in.is_public) w.key("public").boolean(*in.is_public);
  w.end_object();
  FUZZ_CHECK(w.complete());
  return text;
}

template <class T>
void check_error(const std::variant<T, api_error>& outcome) {
  if (const auto* e = std::get_if<api_error>(&outcome)) FUZZ_CHECK(e->status >= 400 && e->status < 500);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const emulator::field_limits limits{.tags = 8, .metadata_keys = 8, .batch_items = 16, .batch_get_ids = 16};

  const auto document = emulator::read_document_body(fuzz::padded(input), limits);
  FUZZ_CHECK(same(document, emulator::read_document_body(fuzz::unpadded(input), limits)));
  check_error(document);
  if (const auto* in = std::get_if<document_input>(&document)) {
    const std::string text = written_back(*in);
    const auto again = emulator::read_document_body(fuzz::padded(text), limits);
    if (!std::holds_alternative<document_input>(again)) std::fprintf(stderr, "written back: %s\n", text.c_str());
    FUZZ_CHECK(same(again, document));
  }

  const auto items = emulator::parse_batch_items(fuzz::padded(input), limits);
  FUZZ_CHECK(same(items, emulator::parse_batch_items(fuzz::unpadded(input), limits)));
  check_error(items);

  const auto ids = emulator::parse_batch_ids(fuzz::padded(input), limits.batch_get_ids);
  FUZZ_CHECK(same(ids, emulator::parse_batch_ids(fuzz::unpadded(input), limits.batch_get_ids)));
  check_error(ids);
  return 0;
}
