#pragma once
// A global operator new that counts, for tests that assert allocation counts (a count,
// not a timing). Link counting_allocator.cpp into the test executable (it replaces
// the global operator new and delete); never into a sanitizer build, whose runtime owns
// them. Only the thread that opened an allocation_count is counted, so server threads
// and libraries on other threads are not; OpenSSL allocates with malloc, never counted.

#include <cstddef>
#include <cstdio>

namespace codex::test {

/// Counts the operator-new allocations made on this thread while it lives, and their sizes.
class allocation_count {
 public:
  allocation_count();
  ~allocation_count();
  allocation_count(const allocation_count&) = delete;
  allocation_count& operator=(const allocation_count&) = delete;

  std::size_t so_far() const;
  /// Prints "SIZE: PER" for each size seen (PER = count / `per`), on one line after `title`.
  void print_sizes(const char* title, std::size_t per) const;

 private:
  std::size_t start_;
};

}  // namespace codex::test
