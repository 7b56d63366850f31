#pragma once
// codex::ingest::position_set — a set of input positions kept as disjoint ranges, so
// that millions of mostly consecutive positions (what an ingest acknowledges) cost a
// few map nodes.

#include <cstdint>
#include <map>

namespace codex::ingest {

/// A set of 64-bit input positions, stored as disjoint, non-adjacent half-open ranges
/// [first, last). Positions must be below UINT64_MAX (the value is reserved as an end).
///
/// Thread-safety: none (a plain value); concurrent const use is safe.
class position_set {
 public:
  /// Adds one position. Returns true if it was not already in the set.
  bool insert(std::uint64_t position);
  /// Adds [first, last); nothing when first >= last.
  void insert_range(std::uint64_t first, std::uint64_t last);
  /// True if `position` is in the set. O(log ranges).
  bool contains(std::uint64_t position) const noexcept;
  /// How many positions the set holds.
  std::uint64_t size() const noexcept { return size_; }
  /// True when the set holds no position.
  bool empty() const noexcept { return size_ == 0; }
  /// The ranges, first → last (exclusive), in increasing order.
  const std::map<std::uint64_t, std::uint64_t>& ranges() const noexcept { return ranges_; }

  /// True when both sets hold the same positions.
  friend bool operator==(const position_set&, const position_set&) = default;

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;
  std::uint64_t size_ = 0;
};

}  // namespace codex::ingest
