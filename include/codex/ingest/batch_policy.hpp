#pragma once
// When the ingester's filling batch takes one more item, and when it goes out — pure
// decisions on counts and exact encoded sizes, with no clock and no socket.
//
// A batch body is `{"items":[` + item₁ + `,` + … + itemₙ + `]}`, where each item is
// the exact text json::encode() wrote for it. Its size is therefore known exactly
// before it is built: the limit on bytes is a limit on the bytes actually sent.

#include <cstddef>

namespace codex::ingest {

/// Bytes of `{"items":[` and `]}` around the items.
inline constexpr std::size_t batch_wrapper_bytes = 12;

/// The size of a batch body holding `count` items whose encodings sum to `item_bytes`
/// (wrapper and separating commas included). Pure.
constexpr std::size_t batch_body_bytes(std::size_t count, std::size_t item_bytes) noexcept {
  return batch_wrapper_bytes + item_bytes + (count > 0 ? count - 1 : 0);
}

/// The two limits of one batch.
struct batch_limits {
  std::size_t max_items = 1000;     ///< items per batch (the contract allows ≤ 1,000)
  std::size_t max_bytes = 8u << 20; ///< bytes of the whole body (the contract allows ≤ 8 MiB)
};

/// Whether an item may join the filling batch.
enum class admission {
  fits,            ///< add it
  batch_full,      ///< it would break a limit: the batch must go first, then the item joins a new one
  item_too_large,  ///< even alone it breaks max_bytes: it can never be sent
};

/// Decides for an item of `item_bytes` encoded bytes and a batch holding `count` items
/// of `item_bytes_sum` encoded bytes. Pure.
admission admit(const batch_limits& limits, std::size_t count, std::size_t item_bytes_sum,
                std::size_t item_bytes) noexcept;

/// What is known about the filling batch when deciding whether to send it.
struct filling_state {
  std::size_t count = 0;           ///< items in it
  bool closed = false;             ///< an item did not fit (admission::batch_full)
  bool linger_elapsed = false;     ///< its first item has waited `linger`
  bool finishing = false;          ///< finish() was called: no more items will come
};

/// Why the filling batch should go out now.
enum class flush_reason { none, full, linger, finishing };

/// Pure: none for an empty batch; full when it reached max_items or was closed; then
/// finishing; then linger. The caller sends it when it also has an in-flight slot.
flush_reason should_flush(const batch_limits& limits, const filling_state& state) noexcept;

/// True for limits the service accepts: 1 ≤ max_items ≤ 1,000 and a body of one
/// smallest item (`{}`) ≤ max_bytes ≤ 8 MiB. Pure.
bool valid(const batch_limits& limits) noexcept;

}  // namespace codex::ingest
