#include "detail/wakeup.hpp"

namespace codex::detail {

asio::execution_context::id parked_wakeups::id;

void parked_wakeups::add(wakeup& w) {
  std::lock_guard lock(mutex_);
  if (w.listed_) return;
  w.previous_ = nullptr;
  w.next_ = first_;
  if (first_ != nullptr) first_->previous_ = &w;
  first_ = &w;
  w.listed_ = true;
}

void parked_wakeups::remove(wakeup& w) {
  std::lock_guard lock(mutex_);
  if (!w.listed_) return;
  if (w.previous_ != nullptr) w.previous_->next_ = w.next_;
  else first_ = w.next_;
  if (w.next_ != nullptr) w.next_->previous_ = w.previous_;
  w.previous_ = w.next_ = nullptr;
  w.listed_ = false;
}

void parked_wakeups::shutdown() {
  // One at a time, holding no lock while a handler is destroyed: destroying a
  // coroutine's frames may destroy (or finish) other listed wakeups.
  for (;;) {
    std::shared_ptr<wakeup> taken;
    {
      std::lock_guard lock(mutex_);
      if (first_ == nullptr) return;
      wakeup& w = *first_;
      first_ = w.next_;
      if (first_ != nullptr) first_->previous_ = nullptr;
      w.previous_ = w.next_ = nullptr;
      w.listed_ = false;
      taken = w.weak_from_this().lock();  // empty: it is being destroyed, and frees its own handler
    }
    if (taken) taken->abandon().reset();
  }
}

}  // namespace codex::detail
