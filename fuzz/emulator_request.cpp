// The emulator's request reader (codec::request_reader, as src/emulator/https_server.cpp
// drives it): pipelined requests on one connection, the bytes arriving in pieces chosen
// by the fuzzer; what one request leaves unconsumed starts the next.
// Invariants: the pieces do not change the requests read (what ends the connection may
// differ: a malformed head over the limit is malformed when it comes whole, too large
// when it trickles in, a 400 or a 431 — Beast checks a head as it finds its end); a body keeps the padding the emulator's JSON reader relies on;
// head_too_large() only with payload_too_large; a done request has its header done.

#include "emulator/http_server_codec.hpp"

#include <codex/error.hpp>

#include "support.hpp"

#include <algorithm>
#include <memory>
#include <span>

namespace {

using namespace codex;

struct request {
  net::codec::server_request parsed;
  bool expects_continue = false;
};

struct connection {
  std::vector<request> requests;
  std::error_code error;  ///< what ended the connection (none: the bytes ran out)
  bool head_too_large = false;
};

constexpr std::size_t max_requests = 64;

// Puts what `pending` holds into `reader` until it needs more; true while the
// connection goes on.
bool feed(std::unique_ptr<net::codec::request_reader>& reader, std::string& pending, connection& out,
          net::codec::request_reader::limits limits) {
  while (!pending.empty()) {
    const std::size_t used = reader->put(pending, out.error);
    FUZZ_CHECK(used <= pending.size());
    pending.erase(0, used);
    if (out.error) {
      out.head_too_large = reader->head_too_large();
      FUZZ_CHECK(!out.head_too_large || out.error == errc::payload_too_large);
      return false;
    }
    if (!reader->done()) {
      if (used == 0) return true;  // a partial head: wait for more bytes
      continue;
    }
    FUZZ_CHECK(reader->header_done());
    request r{.expects_continue = reader->expects_continue()};
    r.parsed = reader->release();
    FUZZ_CHECK(r.parsed.body.capacity() >= r.parsed.body.size() + net::body_padding);
    out.requests.push_back(std::move(r));
    if (out.requests.size() == max_requests) return false;
    reader = std::make_unique<net::codec::request_reader>(limits);
  }
  return true;
}

connection read_connection(std::span<const std::string_view> pieces, net::codec::request_reader::limits limits) {
  connection out;
  auto reader = std::make_unique<net::codec::request_reader>(limits);
  std::string pending;
  for (const std::string_view piece : pieces) {
    pending.append(piece);
    if (!feed(reader, pending, out, limits)) break;
  }
  return out;
}

bool same(const request& a, const request& b) {
  const auto& x = a.parsed;
  const auto& y = b.parsed;
  return x.method == y.method && x.method_known == y.method_known && x.method_text == y.method_text &&
         x.target == y.target && x.body == y.body && x.keep_alive == y.keep_alive &&
         a.expects_continue == b.expects_continue && x.headers.size() == y.headers.size() &&
         std::equal(x.headers.begin(), x.headers.end(), y.headers.begin());
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::cut_input input = fuzz::cut(fuzz::as_text(data, size));
  const auto limits = (input.flags & 1u) ? net::codec::request_reader::limits{.max_body = 1000, .max_header = 300}
                                         : net::codec::request_reader::limits{};
  const connection in_pieces = read_connection(input.pieces, limits);
  const std::string_view whole[] = {input.payload};
  const connection at_once = read_connection(whole, limits);
  if (in_pieces.requests.size() != at_once.requests.size())
    std::fprintf(stderr, "in pieces: %zu requests, then %s; at once: %zu, then %s\n", in_pieces.requests.size(),
                 in_pieces.error.message().c_str(), at_once.requests.size(), at_once.error.message().c_str());
  FUZZ_CHECK(in_pieces.requests.size() == at_once.requests.size());
  for (std::size_t i = 0; i < at_once.requests.size(); ++i) FUZZ_CHECK(same(in_pieces.requests[i], at_once.requests[i]));
  return 0;
}
