#include "emulator/time_format.hpp"

#include <cstdio>

namespace codex::emulator {
namespace {

struct civil {
  int year;
  unsigned month, day, hour, minute, second, weekday;  // weekday: 0 = Sunday
};

civil to_civil(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day ymd{days};
  const hh_mm_ss hms{secs - days};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()), static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count()), weekday{days}.c_encoding()};
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  const civil c = to_civil(t);
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day, c.hour,
                              c.minute, c.second);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string format_http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const civil c = to_civil(t);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02u:%02u:%02u GMT", days[c.weekday], c.day,
                              months[c.month - 1], c.year, c.hour, c.minute, c.second);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace codex::emulator
