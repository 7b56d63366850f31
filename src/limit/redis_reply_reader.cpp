#include "limit/redis_reply_reader.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <new>

namespace codex::limit::detail {
namespace {

// hiredis allocates an array's element table from the count the reply announces, before
// any element has arrived: "*1000000000\r\n" alone would reserve 8 GB (found by
// fuzz/redis_reply). The limiter's replies hold a few elements; anything far beyond is
// refused as a protocol error.
constexpr int max_array_elements = 1 << 16;

// hiredis builds the replies through these functions, straight into redis_reply: the
// root is allocated, every other reply is the next element of its parent. Elements come
// in order, and a parent's vector only grows while that parent is the innermost open
// array, so the pointers hiredis keeps stay valid. They are called from C: nothing may
// throw through them (nullptr makes hiredis report out of memory).
void* place(const redisReadTask* task, redis_reply::kind type) noexcept {
  try {
    redis_reply* reply = nullptr;
    if (task->parent == nullptr) {
      reply = new redis_reply;
    } else {
      auto& elements = static_cast<redis_reply*>(task->parent->obj)->elements;
      if (task->idx < 0 || static_cast<std::size_t>(task->idx) != elements.size()) return nullptr;
      reply = &elements.emplace_back();
    }
    reply->type = type;
    return reply;
  } catch (...) {
    return nullptr;
  }
}

void* create_string(const redisReadTask* task, char* text, std::size_t size) noexcept {
  const auto type = task->type == REDIS_REPLY_ERROR    ? redis_reply::kind::error
                    : task->type == REDIS_REPLY_STATUS ? redis_reply::kind::status
                                                       : redis_reply::kind::string;
  auto* reply = static_cast<redis_reply*>(place(task, type));
  if (reply == nullptr) return nullptr;
  try {
    reply->text.assign(text, size);
  } catch (...) {
    return nullptr;  // the reply stays in its parent (or, the root, is freed by hiredis)
  }
  return reply;
}

void* create_array(const redisReadTask* task, int elements) noexcept {
  if (elements < 0 || elements > max_array_elements) return nullptr;
  auto* reply = static_cast<redis_reply*>(place(task, redis_reply::kind::array));
  if (reply == nullptr) return nullptr;
  try {
    reply->elements.reserve(static_cast<std::size_t>(elements));
  } catch (...) {
    return nullptr;
  }
  return reply;
}

void* create_integer(const redisReadTask* task, long long value) noexcept {
  auto* reply = static_cast<redis_reply*>(place(task, redis_reply::kind::integer));
  if (reply != nullptr) reply->integer = value;
  return reply;
}

void* create_nil(const redisReadTask* task) noexcept { return place(task, redis_reply::kind::nil); }

// hiredis frees only roots (a reply it gives up on, or one never collected).
void free_reply(void* reply) noexcept { delete static_cast<redis_reply*>(reply); }

redisReplyObjectFunctions functions = {create_string, create_array, create_integer, create_nil, free_reply};

}  // namespace

reply_reader::reply_reader() : reader_(redisReaderCreateWithFunctions(&functions)) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

reply_reader::~reply_reader() { redisReaderFree(reader_); }

bool reply_reader::feed(const char* data, std::size_t size) { return redisReaderFeed(reader_, data, size) == REDIS_OK; }

std::optional<redis_reply> reply_reader::next(bool& ok) {
  void* raw = nullptr;
  ok = redisReaderGetReply(reader_, &raw) == REDIS_OK;
  if (!ok || raw == nullptr) return std::nullopt;
  const std::unique_ptr<redis_reply> reply(static_cast<redis_reply*>(raw));
  return std::move(*reply);
}

}  // namespace codex::limit::detail
