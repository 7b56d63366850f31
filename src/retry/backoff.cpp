#include <codex/retry/backoff.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace codex::retry {

using std::chrono::milliseconds;

milliseconds backoff_policy::ceiling(std::uint32_t retry) const noexcept {
  const double base = static_cast<double>(std::max<std::int64_t>(initial.count(), 0));
  if (base == 0) return milliseconds::zero();  // 0 × inf would be NaN
  const double cap = static_cast<double>(std::max<std::int64_t>(max.count(), 0));
  const double growth = std::max(multiplier, 1.0);
  // Past 2^1023 a double is +inf anyway, which min() then caps: bounding the exponent
  // keeps the int conversion exact.
  const int exponent = static_cast<int>(std::clamp<std::uint32_t>(retry, 1, 2048) - 1);
  const double value = std::min(cap, base * std::pow(growth, exponent));
  return milliseconds(static_cast<std::int64_t>(value));
}

milliseconds backoff_policy::delay(std::uint32_t retry, std::uint64_t random_bits) const noexcept {
  return full_jitter(ceiling(retry), random_bits);
}

milliseconds full_jitter(milliseconds ceiling, std::uint64_t random_bits) noexcept {
  if (ceiling.count() <= 0) return milliseconds::zero();
  // (ceiling + 1) × r / 2^64 is uniform over [0, ceiling] without the bias of a modulo.
  const auto span = static_cast<unsigned __int128>(ceiling.count()) + 1;
  return milliseconds(static_cast<std::int64_t>((span * random_bits) >> 64));
}

std::uint64_t jitter_bits() noexcept {
  thread_local std::mt19937_64 generator{[]() noexcept -> std::uint64_t {
    try {
      std::random_device device;
      return (static_cast<std::uint64_t>(device()) << 32) ^ device();
    } catch (...) {
      // No OS entropy source: jitter only needs threads and processes to differ.
      const int marker = 0;  // its address differs between threads
      return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             reinterpret_cast<std::uintptr_t>(&marker);
    }
  }()};
  return generator();
}

}  // namespace codex::retry
