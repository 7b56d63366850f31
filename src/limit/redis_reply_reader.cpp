#include "limit/redis_reply_reader.hpp"

#include <hiredis/hiredis.h>

#include <new>

namespace codex::limit::detail {
namespace {

redis_reply convert(const redisReply& raw) {
  redis_reply out;
  switch (raw.type) {
    case REDIS_REPLY_STRING: out.type = redis_reply::kind::string; break;
    case REDIS_REPLY_STATUS: out.type = redis_reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = redis_reply::kind::error; break;
    case REDIS_REPLY_INTEGER: out.type = redis_reply::kind::integer; break;
    case REDIS_REPLY_ARRAY: out.type = redis_reply::kind::array; break;
    default: out.type = redis_reply::kind::nil; break;
  }
  if (raw.str != nullptr) out.text.assign(raw.str, raw.len);
  out.integer = raw.integer;
  for (std::size_t i = 0; i < raw.elements; ++i) out.elements.push_back(convert(*raw.element[i]));
  return out;
}

}  // namespace

reply_reader::reply_reader() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

reply_reader::~reply_reader() { redisReaderFree(reader_); }

bool reply_reader::feed(const char* data, std::size_t size) { return redisReaderFeed(reader_, data, size) == REDIS_OK; }

std::optional<redis_reply> reply_reader::next(bool& ok) {
  void* raw = nullptr;
  ok = redisReaderGetReply(reader_, &raw) == REDIS_OK;
  if (!ok || raw == nullptr) return std::nullopt;
  redis_reply reply = convert(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

}  // namespace codex::limit::detail
