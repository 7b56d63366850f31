#pragma once
// For a count that another thread updates after the event the test saw: a server counts
// a refused handshake after its alert has gone out, so the client can hold its error
// before the server's counter moves.

#include <chrono>
#include <thread>

namespace codex::test {

/// Whether `holds()` becomes true within `timeout`, asked every millisecond (blocking).
template <class Predicate>
bool eventually(Predicate holds, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!holds()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace codex::test
