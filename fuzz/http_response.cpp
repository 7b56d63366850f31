// The client's HTTP response reader (src/net/http_codec.cpp, Beast's parser) on bytes
// that arrive in pieces chosen by the fuzzer, fed as the connection feeds them: what the
// parser leaves unconsumed is kept and presented again with the next piece.
// Invariants: the pieces do not change the outcome: the same bytes in one piece give a
// response with the same status, fields, body, keep-alive and consumed length, or fail
// as well. (Not always with the same error: a malformed head that is incomplete, or over
// the header limit, is found malformed when it comes whole, and cut short or too large
// when it trickles in: Beast checks a head as it finds its end.) A parsed
// response keeps the body padding; every field it lists is found by name.

#include "net/http_codec.hpp"

#include "support.hpp"

#include <algorithm>
#include <span>

namespace {

using namespace codex;

struct outcome {
  std::error_code error;
  bool done = false;
  bool keep_alive = false;
  std::size_t consumed = 0;
  net::http_response response;
};

outcome read_response(std::span<const std::string_view> pieces, net::codec::response_reader::limits limits,
                      bool head_request) {
  net::codec::response_reader reader(limits, head_request);
  outcome out;
  std::string pending;
  for (const std::string_view piece : pieces) {
    pending.append(piece);
    while (!pending.empty() && !out.error && !reader.done()) {
      const std::size_t used = reader.put(pending, out.error);
      FUZZ_CHECK(used <= pending.size());
      out.consumed += used;
      pending.erase(0, used);
      if (used == 0) break;  // a partial head: wait for more bytes
    }
    if (out.error || reader.done()) break;
  }
  if (!out.error && !reader.done()) reader.put_eof(out.error);
  out.done = reader.done();
  FUZZ_CHECK(out.done || out.error);
  if (out.error) return out;
  out.keep_alive = reader.keep_alive();
  out.response = reader.release();
  const auto& body = out.response.body;
  FUZZ_CHECK(body.capacity() >= body.size() + net::body_padding);
  for (const auto& [name, value] : out.response.headers) FUZZ_CHECK(out.response.headers.find(name).has_value());
  return out;
}

bool same_fields(const net::header_list& a, const net::header_list& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::cut_input input = fuzz::cut(fuzz::as_text(data, size));
  const bool head_request = input.flags & 1u;
  // Small limits now and then, so that the limit checks are reached at all.
  const auto limits = (input.flags & 2u) ? net::codec::response_reader::limits{.max_body = 1000, .max_header = 300}
                                         : net::codec::response_reader::limits{};
  const outcome in_pieces = read_response(input.pieces, limits, head_request);
  const std::string_view whole[] = {input.payload};
  const outcome at_once = read_response(whole, limits, head_request);
  if (in_pieces.done != at_once.done || bool(in_pieces.error) != bool(at_once.error))
    std::fprintf(stderr, "in pieces: %s; at once: %s\n", in_pieces.error.message().c_str(), at_once.error.message().c_str());
  FUZZ_CHECK(in_pieces.done == at_once.done);
  FUZZ_CHECK(bool(in_pieces.error) == bool(at_once.error));
  if (at_once.error) return 0;
  FUZZ_CHECK(in_pieces.consumed == at_once.consumed);
  FUZZ_CHECK(in_pieces.keep_alive == at_once.keep_alive);
  FUZZ_CHECK(in_pieces.response.status == at_once.response.status);
  FUZZ_CHECK(same_fields(in_pieces.response.headers, at_once.response.headers));
  FUZZ_CHECK(in_pieces.response.body == at_once.response.body);
  return 0;
}
