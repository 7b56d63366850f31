#include "limit/redis_gcra.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace codex::limit::redis_gcra {
namespace {

// Lua numbers are doubles: µs since 1970 (~1.8e15) are exact up to 2^53 (~9e15), and
// string.format('%.0f') writes them without an exponent. The key expires once its TAT
// is in the past by more than a second: an idle key costs Redis nothing.
constexpr std::string_view lua = R"lua(
local now
if ARGV[7] then
  now = tonumber(ARGV[7])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local stored = tat
local function store(value)
  redis.call('SET', KEYS[1], string.format('%.0f', value), 'PX', math.floor((value - now) / 1000) + 1000)
end
if ARGV[1] == 'P' then
  local target = now + tonumber(ARGV[4]) + tau
  if target > tat then store(target) end
  return {0, 0, now, string.format('%.0f', math.max(tat, target))}
end
if ARGV[1] == 'R' then
  local granted_tat = tonumber(ARGV[4])
  if tat == granted_tat and granted_tat - interval > now then store(granted_tat - interval) return {1, 0, now, string.format('%.0f', granted_tat - interval)} end
  return {0, 0, now, string.format('%.0f', tat)}
end
local count = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local floor = tonumber(ARGV[6])
if floor > 0 and tat < now + floor + tau then tat = now + floor + tau end
local base = math.max(tat, now)
local first = math.max(0, base - now - tau)
if first > max_wait then return {0, first, now, string.format('%.0f', stored)} end
local granted = 1
while granted < count and base - now + granted * interval - tau <= max_wait do granted = granted + 1 end
store(base + granted * interval)
return {granted, base - now, now, string.format('%.0f', base + granted * interval)}
)lua";

std::string sha1_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("codex: SHA-1 is unavailable");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string_view script() { return lua; }

const std::string& script_sha1() {
  static const std::string sha = sha1_hex(lua);
  return sha;
}

step_result acquire(std::int64_t tat, std::int64_t now, const params& p, std::int64_t count, std::int64_t max_wait,
                    std::int64_t floor) {
  const std::int64_t stored = tat;
  if (floor > 0) tat = std::max(tat, now + floor + p.tolerance_us);
  const std::int64_t base = std::max(tat, now);
  const std::int64_t first = std::max<std::int64_t>(0, base - now - p.tolerance_us);
  if (first > max_wait) return {.granted = 0, .base_offset = first, .tat = stored};  // nothing stored
  std::int64_t granted = 1;
  while (granted < count && base - now + granted * p.interval_us - p.tolerance_us <= max_wait) ++granted;
  return {.granted = granted, .base_offset = base - now, .tat = base + granted * p.interval_us};
}

std::int64_t push(std::int64_t tat, std::int64_t now, const params& p, std::int64_t wait) {
  return std::max(tat, now + wait + p.tolerance_us);
}

std::int64_t release(std::int64_t tat, std::int64_t now, const params& p, std::int64_t granted_tat) {
  if (tat == granted_tat && granted_tat - p.interval_us > now) return granted_tat - p.interval_us;
  return tat;
}

std::optional<std::int64_t> pace_wait(std::uint64_t remaining, std::optional<std::int64_t> reset_us,
                                      std::optional<std::uint64_t> server_limit, const params& p) {
  const auto burst = static_cast<std::uint64_t>(p.tolerance_us / p.interval_us) + 1;
  if (remaining >= burst) return std::nullopt;  // we could not send more than that at once anyway
  std::int64_t server_interval = p.interval_us;
  if (reset_us && *reset_us > 0 && server_limit && *server_limit > remaining)
    server_interval = *reset_us / static_cast<std::int64_t>(*server_limit - remaining);
  server_interval = std::clamp<std::int64_t>(server_interval, p.interval_us, std::int64_t{1} << 50);
  // As gcra::pace_from_headers: TAT' = now + tau + I - remaining × T, a push of that minus tau.
  return server_interval - static_cast<std::int64_t>(remaining) * p.interval_us;
}

std::int64_t slot_offset(const step_result& r, const params& p, std::int64_t k) {
  return std::max<std::int64_t>(0, r.base_offset + k * p.interval_us - p.tolerance_us);
}

}  // namespace codex::limit::redis_gcra
