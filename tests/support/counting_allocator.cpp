#include "counting_allocator.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

namespace {

thread_local bool counting = false;
std::atomic<std::size_t> allocations{0};

/// How many allocations of each size the counting thread made (only it writes): the
/// sizes tell coroutine frames (hundreds of bytes) from strings and buffers.
struct size_count {
  std::size_t size = 0;
  std::size_t count = 0;
};
std::array<size_count, 64> sizes_seen{};

void note(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  for (auto& seen : sizes_seen) {
    if (seen.count == 0) seen.size = size;
    if (seen.size == size) {
      ++seen.count;
      return;
    }
  }
}

void* counted_allocation(std::size_t size) {
  if (counting) note(size);
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_allocation(std::size_t size, std::align_val_t align) {
  if (counting) note(size);
  const auto alignment = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, std::align_val_t align) { return counted_aligned_allocation(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) { return counted_aligned_allocation(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace codex::test {

allocation_count::allocation_count() : start_(allocations.load()) {
  sizes_seen = {};
  counting = true;
}

allocation_count::~allocation_count() { counting = false; }

std::size_t allocation_count::so_far() const { return allocations.load() - start_; }

void allocation_count::print_sizes(const char* title, std::size_t per) const {
  std::printf("%s (bytes: per):", title);
  for (const auto& seen : sizes_seen) {
    if (seen.count > 0) std::printf(" %zu: %.2f", seen.size, static_cast<double>(seen.count) / static_cast<double>(per));
  }
  std::printf("\n");
}

}  // namespace codex::test
