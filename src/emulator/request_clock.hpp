#pragma once
// How long a client may take to send one request: the deadline the server's watchdog
// holds each read to. Pure — instants come in as arguments — so tests need no clock.
//
// A per-read idle limit alone lets a client hold a connection for ever by sending a
// byte now and then (slowloris); so the head and the body also have totals.

#include <algorithm>
#include <chrono>

namespace codex::emulator {

/// The limits on receiving one request (see server_options).
struct request_time_limits {
  std::chrono::milliseconds idle;  ///< any one read
  std::chrono::milliseconds head;  ///< the whole head, from its first byte
  std::chrono::milliseconds body;  ///< the whole body, from the end of the head
};

/// What the server is waiting for on a connection.
enum class request_stage {
  awaiting,  ///< no byte of the next request yet (a fresh or idle keep-alive connection)
  head,      ///< the rest of the request line and headers
  body,      ///< the body the head announced
};

/// The clock of one request as it arrives. Not thread-safe: one per request, owned by
/// its connection.
class request_clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A byte of the request is in hand: read at `now`, or left over from the previous
  /// request, when `now` is the end of the previous response. Only the first call counts.
  void bytes_arrived(time_point now) noexcept {
    if (stage_ != request_stage::awaiting) return;
    stage_ = request_stage::head;
    stage_started_ = now;
  }
  /// The head is complete and a body is to come, from `now` on. Called again after a
  /// 100 Continue was sent, it restarts the body's clock: the client waited for that.
  void body_expected(time_point now) noexcept {
    stage_ = request_stage::body;
    stage_started_ = now;
  }

  request_stage stage() const noexcept { return stage_; }

  /// When a read that starts at `now` must be done by: the idle limit, and no later
  /// than the current stage's total.
  time_point deadline(time_point now, const request_time_limits& limits) const noexcept {
    const time_point idle_end = now + limits.idle;
    switch (stage_) {
      case request_stage::awaiting: return idle_end;
      case request_stage::head: return std::min(idle_end, stage_started_ + limits.head);
      case request_stage::body: return std::min(idle_end, stage_started_ + limits.body);
    }
    return idle_end;
  }

 private:
  request_stage stage_ = request_stage::awaiting;
  time_point stage_started_{};
};

}  // namespace codex::emulator
