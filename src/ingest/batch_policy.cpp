#include <codex/ingest/batch_policy.hpp>

#include <codex/api/document.hpp>

namespace codex::ingest {

admission admit(const batch_limits& limits, std::size_t count, std::size_t item_bytes_sum,
                std::size_t item_bytes) noexcept {
  if (batch_body_bytes(1, item_bytes) > limits.max_bytes) return admission::item_too_large;
  if (count >= limits.max_items) return admission::batch_full;
  if (batch_body_bytes(count + 1, item_bytes_sum + item_bytes) > limits.max_bytes) return admission::batch_full;
  return admission::fits;
}

flush_reason should_flush(const batch_limits& limits, const filling_state& state) noexcept {
  if (state.count == 0) return flush_reason::none;
  if (state.closed || state.count >= limits.max_items) return flush_reason::full;
  if (state.finishing) return flush_reason::finishing;
  if (state.linger_elapsed) return flush_reason::linger;
  return flush_reason::none;
}

bool valid(const batch_limits& limits) noexcept {
  return limits.max_items >= 1 && limits.max_items <= document_limits::max_batch_items &&
         limits.max_bytes >= batch_body_bytes(1, 2) && limits.max_bytes <= document_limits::max_batch_bytes;
}

}  // namespace codex::ingest
