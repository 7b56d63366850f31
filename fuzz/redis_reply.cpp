// The Redis reply reader (src/limit/redis_reply_reader.cpp: hiredis's redisReader and
// our conversion of its replies): what a Redis server, or anything that answers on its
// port, sends the shared limiter. The bytes arrive in pieces chosen by the fuzzer.
// Invariants: the pieces do not change the replies read nor whether the stream is
// refused; every reply, written back in RESP, reads back equal.

#include "limit/redis_reply_reader.hpp"

#include "support.hpp"

#include <span>

namespace {

using namespace codex;
using limit::redis_reply;

constexpr std::size_t max_replies = 256;

struct stream {
  std::vector<redis_reply> replies;
  bool refused = false;
};

stream read_stream(std::span<const std::string_view> pieces) {
  limit::detail::reply_reader reader;
  stream out;
  for (const std::string_view piece : pieces) {
    if (!reader.feed(piece.data(), piece.size())) {
      out.refused = true;
      return out;
    }
    for (;;) {
      bool ok = true;
      auto reply = reader.next(ok);
      if (!ok) {
        out.refused = true;
        return out;
      }
      if (!reply) break;
      out.replies.push_back(std::move(*reply));
      if (out.replies.size() == max_replies) return out;
    }
  }
  return out;
}

bool equal(const redis_reply& a, const redis_reply& b) {
  if (a.type != b.type || a.text != b.text || a.integer != b.integer || a.elements.size() != b.elements.size())
    return false;
  for (std::size_t i = 0; i < a.elements.size(); ++i)
    if (!equal(a.elements[i], b.elements[i])) return false;
  return true;
}

void write_resp(const redis_reply& r, std::string& out) {
  switch (r.type) {
    case redis_reply::kind::string: out += "$" + std::to_string(r.text.size()) + "\r\n" + r.text + "\r\n"; break;
    case redis_reply::kind::status: out += "+" + r.text + "\r\n"; break;
    case redis_reply::kind::error: out += "-" + r.text + "\r\n"; break;
    case redis_reply::kind::integer: out += ":" + std::to_string(r.integer) + "\r\n"; break;
    case redis_reply::kind::nil: out += "$-1\r\n"; break;
    case redis_reply::kind::array:
      out += "*" + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& element : r.elements) write_resp(element, out);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::cut_input input = fuzz::cut(fuzz::as_text(data, size));
  const stream in_pieces = read_stream(input.pieces);
  const std::string_view whole[] = {input.payload};
  const stream at_once = read_stream(whole);
  FUZZ_CHECK(in_pieces.refused == at_once.refused);
  FUZZ_CHECK(in_pieces.replies.size() == at_once.replies.size());
  for (std::size_t i = 0; i < at_once.replies.size(); ++i) FUZZ_CHECK(equal(in_pieces.replies[i], at_once.replies[i]));

  std::string written;
  for (const auto& reply : at_once.replies) write_resp(reply, written);
  const std::string_view again_input[] = {written};
  const stream again = read_stream(again_input);
  FUZZ_CHECK(!again.refused && again.replies.size() == at_once.replies.size());
  for (std::size_t i = 0; i < at_once.replies.size(); ++i) FUZZ_CHECK(equal(again.replies[i], at_once.replies[i]));
  return 0;
}
