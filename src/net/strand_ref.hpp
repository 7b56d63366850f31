#pragma once
// codex::net::strand_ref — an executor that refers to a strand it does not own.
//
// A connection binds the completion of each of its socket operations to its strand.
// asio::strand holds its state by shared_ptr, and an executor_binder copies its
// executor whenever it is moved (Asio 1.22's move constructor calls get_executor(),
// which returns by value): each operation then paid a dozen atomic increments and
// decrements of the strand's count as its handler passed down the TLS layers — about
// 600 instructions a GET, a tenth of the SDK's own share (callgrind). A strand_ref is
// a pointer: copying it costs nothing, and what it executes goes to the strand itself,
// so the serialisation is the strand's, unchanged.
//
// The strand must outlive every handler bound to a strand_ref of it. A connection's
// operations are awaited by a coroutine whose caller holds the connection (and with
// it the strand), so none can complete after it; one destroyed unrun (the io_context
// shutting down) never touches its executor.

#include <asio/execution/blocking.hpp>
#include <asio/execution/context.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <utility>

namespace codex::net {

class strand_ref {
 public:
  using strand_type = asio::strand<asio::io_context::executor_type>;

  explicit strand_ref(const strand_type& strand) noexcept : strand_(&strand) {}

  /// Runs `f` on the strand: at once when the caller is inside it, queued otherwise.
  template <class Function>
  void execute(Function&& f) const {
    strand_->execute(std::forward<Function>(f));
  }

  /// The io_context the strand runs on (Asio asks for it to track work).
  asio::io_context& query(asio::execution::context_t) const noexcept {
    return asio::query(*strand_, asio::execution::context);
  }

  /// May run a function before execute() returns (when the caller is on the strand).
  static constexpr asio::execution::blocking_t query(asio::execution::blocking_t) noexcept {
    return asio::execution::blocking.possibly;
  }

  /// True when the calling thread is running a function of the strand.
  bool running_in_this_thread() const noexcept { return strand_->running_in_this_thread(); }

  friend bool operator==(const strand_ref& a, const strand_ref& b) noexcept { return a.strand_ == b.strand_; }
  friend bool operator!=(const strand_ref& a, const strand_ref& b) noexcept { return a.strand_ != b.strand_; }

 private:
  const strand_type* strand_;
};

}  // namespace codex::net
