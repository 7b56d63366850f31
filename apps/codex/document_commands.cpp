// get, list, put, delete.
#include "commands.hpp"
#include "terminal_text.hpp"

#include <codex/api/documents.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>

#include <fstream>
#include <iostream>
#include <iterator>

namespace codex::cli {
namespace {

void print_document(const document& doc, bool json) {
  if (json) {
    std::string out;
    json::encode(doc, out);
    std::cout << printable_json(out) << "\n";
    return;
  }
  std::cout << printable(doc.id) << "  v" << doc.version << (doc.is_public ? "  public" : "") << "  "
            << printable(doc.title) << "\n";
}

template <class T>
int fail_with(const result<T>& outcome) {
  print_error(outcome.error());
  return exit_code_for(outcome.code());
}

}  // namespace

asio::awaitable<int> get(client& api, bool json, std::string id) {
  auto doc = co_await api.documents().try_get(std::move(id));
  if (!doc) co_return fail_with(doc);
  if (json) {
    print_document(*doc, true);
  } else {
    // The body too is shown escaped, line breaks included: it is the server's text
    // (--json gives it as data).
    std::cout << "id:       " << printable(doc->id) << "\nversion:  " << doc->version
              << "\npublic:   " << (doc->is_public ? "yes" : "no") << "\ntitle:    " << printable(doc->title)
              << "\ntags:     ";
    for (const auto& tag : doc->tags) std::cout << printable(tag) << " ";
    std::cout << "\nupdated:  " << printable(doc->updated_at) << "\n\n" << printable(doc->body) << "\n";
  }
  co_return exit_ok;
}

asio::awaitable<int> list(client& api, bool json, list_options options, bool all) {
  if (!all) {
    auto page = co_await api.documents().try_list(std::move(options));
    if (!page) co_return fail_with(page);
    for (const auto& doc : page->data) print_document(doc, json);
    if (page->next_cursor && !json)
      std::cerr << "codex: more: --cursor " << printable(*page->next_cursor) << " (or --all)\n";
    co_return exit_ok;
  }
  auto stream = api.documents().list_all(std::move(options));
  for (;;) {
    auto next = co_await stream.try_next();
    if (!next) co_return fail_with(next);
    if (!*next) break;
    print_document(**next, json);
  }
  co_return exit_ok;
}

asio::awaitable<int> put(client& api, bool json, std::string file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "codex: cannot read " << printable(file) << "\n";
      co_return exit_usage;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto input = json::decode_document_input(text);
  if (!input) co_return fail_with(input);
  auto doc = co_await api.documents().try_create(std::move(*input));
  if (!doc) co_return fail_with(doc);
  print_document(*doc, json);
  co_return exit_ok;
}

asio::awaitable<int> remove(client& api, bool json, std::string id) {
  auto done = co_await api.documents().try_remove(id);
  if (!done) co_return fail_with(done);
  if (json) {
    std::cout << "{\"deleted\":true}\n";
  } else {
    std::cout << "deleted " << printable(id) << "\n";
  }
  co_return exit_ok;
}

}  // namespace codex::cli
