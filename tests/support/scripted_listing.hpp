#pragma once
// A GET /documents served from a script of pages, for clients of a server that
// misbehaves (names a cursor again) as well as of one that does not.

#include "emulator/https_server.hpp"

#include <atomic>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace codex::test {

/// One page of the script: the ids of its documents and the next_cursor it names.
struct scripted_page {
  std::vector<std::string> ids;
  std::optional<std::string> next_cursor;
};

/// A test_server handler: the page for the request's `cursor` query parameter (the
/// entry "" for a request without one); 404 for a cursor the script lacks, 405 for any
/// other request. Each document is minimal but complete (every required field).
///
/// Thread-safety: the script is read-only once built; the request count is atomic.
class scripted_listing {
 public:
  explicit scripted_listing(std::map<std::string, scripted_page> pages) : pages_(std::move(pages)) {}

  emulator::response_plan answer(const net::codec::server_request& request);
  emulator::request_handler handler() {
    return [this](net::codec::server_request& request, const emulator::request_context&) { return answer(request); };
  }

  std::size_t requests() const noexcept { return requests_.load(); }

 private:
  std::map<std::string, scripted_page> pages_;
  std::atomic<std::size_t> requests_{0};
};

}  // namespace codex::test
