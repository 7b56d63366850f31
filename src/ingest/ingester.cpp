#include <codex/ingest/ingester.hpp>

#include "call/session.hpp"
#include "detail/wakeup.hpp"

#include <codex/ingest/batch_policy.hpp>
#include <codex/ingest/item_outcome.hpp>
#include <codex/ingest/stable_id.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/retry/idempotency.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace codex {
namespace {

using clock = std::chrono::steady_clock;

/// One item as the ingester holds it: encoded once, sent as is.
struct entry {
  std::uint64_t position = 0;
  std::string encoded;
  std::string original;
  std::uint32_t attempts = 0;  // item sends so far (whole-call re-sends of one body count once)
};

struct pending_batch {
  std::vector<entry> entries;
  std::size_t item_bytes = 0;  // sum of the entries' encoded sizes
};

/// A body on its way: some entries of a batch, sent with one Idempotency-Key until
/// they are settled, split, or the job stops.
struct part {
  std::vector<entry> entries;
  std::string idempotency_key;
  std::uint32_t calls = 0;           // calls made with this body
  std::uint32_t round = 1;           // 1 for a batch's first body, +1 per re-send of its retryable items
  std::chrono::milliseconds wait{0};  // before the next call
};

/// The exact body of POST /documents/batch for these entries.
std::string compose_body(const std::vector<entry>& entries) {
  std::size_t item_bytes = 0;
  for (const auto& e : entries) item_bytes += e.encoded.size();
  std::string body;
  body.reserve(ingest::batch_body_bytes(entries.size(), item_bytes));
  body += R"({"items":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) body += ',';
    body += entries[i].encoded;
  }
  body += "]}";
  return body;
}

/// Sleeps, or returns early when the coroutine is cancelled (the caller re-checks why).
asio::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds::zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

void raise_peak(std::atomic<std::uint64_t>& peak, std::uint64_t value) {
  std::uint64_t seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

error_info usage_error(std::string message) {
  return error_info{.code = make_error_code(errc::invalid_argument), .message = std::move(message)};
}

std::chrono::milliseconds time_left(clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
}

/// The failure that stops a job, saying which limit ended the batch.
error_info stopping_failure(error_info failure, const char* why) {
  if (*why != '\0') failure.message = std::string(why) + (failure.message.empty() ? "" : ": ") + failure.message;
  return failure;
}

/// The failure of items that kept answering 408/409/429/5xx (or nothing usable).
error_info exhausted_failure(const ingest::item_rejection& last, std::uint64_t position) {
  const errc code = last.status == 0 ? errc::server_error : errc_from_status(last.status);
  return error_info{.code = make_error_code(code), .http_status = last.status, .service_code = last.error,
                    .message = "the item at position " + std::to_string(position) + " was " + last.message};
}

}  // namespace

struct ingester::state : std::enable_shared_from_this<state> {
  state(client& c, ingester_options o) : api(call::session_of(c).shared_from_this()), options(std::move(o)) {
    limits = {.max_items = options.max_items, .max_bytes = options.max_bytes};
    if (!ingest::valid(limits)) {
      throw codex::error(usage_error("ingester: max_items must be 1 to 1000 and max_bytes at most 8 MiB"));
    }
    if (options.max_in_flight == 0) throw codex::error(usage_error("ingester: max_in_flight must be at least 1"));
    if (options.max_batch_attempts == 0 || options.max_item_attempts == 0) {
      throw codex::error(usage_error("ingester: max_batch_attempts and max_item_attempts must be at least 1"));
    }
    if (options.max_wait.count() < 0 || options.batch_deadline.count() <= 0) {
      throw codex::error(usage_error("ingester: max_wait must be at least 0 and batch_deadline positive"));
    }
    retry_limits = {.max_attempts = options.max_batch_attempts, .max_wait = options.max_wait, .backoff = options.backoff};
    id_seed = !options.id_seed.empty() ? options.id_seed : options.journal ? options.journal->job_id() : std::string();
  }

  /// A batch in flight, as stop() reaches it: cancellation is emitted on its strand,
  /// where its coroutine runs (a cancellation signal is not thread-safe).
  struct flight {
    asio::strand<asio::any_io_executor> strand;
    std::shared_ptr<asio::cancellation_signal> cancel;
  };

  std::shared_ptr<call::session> api;  // the client's call path
  ingester_options options;
  ingest::batch_limits limits;
  ingest::batch_retry_limits retry_limits;
  std::string id_seed;

  // Guarded by mutex; never held across a co_await.
  std::mutex mutex;
  pending_batch filling;
  std::uint64_t generation = 0;  // of the filling batch: a linger timer acts only on its own
  bool closed = false;
  bool linger_elapsed = false;
  bool finishing = false;
  std::size_t slots_used = 0;
  std::vector<std::shared_ptr<detail::wakeup>> waiters;  // blocked add()s and finish()
  std::optional<clock::time_point> started;
  std::vector<rejected_item> rejected_items;  // the first options.keep_rejected
  std::uint64_t retried = 0;
  std::uint64_t batch_retries = 0;
  std::optional<error_info> stopped_by;
  std::map<std::uint64_t, flight> flights;
  std::uint64_t next_flight = 0;

  std::atomic<bool> stopped{false};  // stopped_by is set; read without the mutex on hot paths
  std::atomic<std::uint64_t> added{0}, accepted{0}, rejected{0}, not_delivered{0}, skipped{0}, in_flight{0},
      batches{0}, rate_limited{0}, buffered{0}, peak_buffered{0}, next_auto_position{0};

  /// The filling batch, if it should go out now and a slot is free (the slot is then
  /// taken). Nothing goes out once the job has stopped. Caller holds the mutex.
  std::optional<pending_batch> take_if_due() {
    if (stopped_by) return std::nullopt;
    const ingest::filling_state now{.count = filling.entries.size(), .closed = closed,
                                    .linger_elapsed = linger_elapsed, .finishing = finishing};
    if (ingest::should_flush(limits, now) == ingest::flush_reason::none) return std::nullopt;
    if (slots_used >= options.max_in_flight) return std::nullopt;
    ++slots_used;
    in_flight.fetch_add(1, std::memory_order_relaxed);
    pending_batch out = std::exchange(filling, pending_batch{});
    closed = false;
    linger_elapsed = false;
    ++generation;
    return out;
  }

  /// Wakes every blocked add() and finish(): they re-check. Caller does not hold the mutex.
  void wake_all() {
    std::vector<std::shared_ptr<detail::wakeup>> to_wake;
    {
      std::lock_guard lock(mutex);
      to_wake.swap(waiters);
    }
    for (auto& w : to_wake) w->wake();
  }

  /// Stops the job with `why` (the first reason wins): no batch goes out any more, the
  /// ones in flight are cancelled, every waiter wakes up. Thread-safe.
  void stop(error_info why) {
    std::vector<flight> to_cancel;
    {
      std::lock_guard lock(mutex);
      if (stopped_by) return;
      stopped_by = std::move(why);
      stopped.store(true, std::memory_order_release);
      for (const auto& [id, f] : flights) to_cancel.push_back(f);
    }
    for (auto& f : to_cancel) {
      asio::post(f.strand, [cancel = f.cancel] { cancel->emit(asio::cancellation_type::terminal); });
    }
    wake_all();
  }

  bool is_stopped() const noexcept { return stopped.load(std::memory_order_acquire); }

  /// Items that will not be settled in this run.
  void give_up(std::size_t items) {
    not_delivered.fetch_add(items, std::memory_order_relaxed);
    buffered.fetch_sub(items, std::memory_order_relaxed);
  }

  void launch(const asio::any_io_executor& executor, pending_batch batch) {
    auto self = shared_from_this();
    flight f{asio::make_strand(executor), std::make_shared<asio::cancellation_signal>()};
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex);
      id = next_flight++;
      flights.emplace(id, f);
    }
    // stop() may have run between take_if_due() and here, missing this flight: the
    // batch then sees the job stopped before its first call.
    asio::co_spawn(f.strand, send_batch(self, id, std::move(batch)),
                   asio::bind_cancellation_slot(f.cancel->slot(), [cancel = f.cancel](std::exception_ptr) {
                     // send_batch catches everything itself; `cancel` lives until here.
                   }));
  }

  void arm_linger(const asio::any_io_executor& executor, std::uint64_t for_generation) {
    auto self = shared_from_this();
    asio::co_spawn(executor, linger_timer(self, for_generation), [](std::exception_ptr) {});
  }

  static asio::awaitable<void> linger_timer(std::shared_ptr<state> self, std::uint64_t for_generation) {
    co_await sleep_for(self->options.linger);
    std::optional<pending_batch> due;
    {
      std::lock_guard lock(self->mutex);
      if (self->generation != for_generation) co_return;
      self->linger_elapsed = true;
      due = self->take_if_due();
    }
    const auto executor = co_await asio::this_coro::executor;
    if (due) self->launch(executor, std::move(*due));
  }

  /// A batch has ended: forget its flight, send the filling batch if it is due, wake the waiters.
  void end_flight(std::uint64_t id, const asio::any_io_executor& executor) {
    std::optional<pending_batch> due;
    {
      std::lock_guard lock(mutex);
      flights.erase(id);
      --slots_used;
      in_flight.fetch_sub(1, std::memory_order_relaxed);
      due = take_if_due();
    }
    if (due) launch(executor, std::move(*due));
    wake_all();
  }

  /// Makes settled items durable — rejects lines synced, then the journal's record —
  /// and only then counts and reports them. On a write failure the job stops and the
  /// items count as not delivered: a resumed job settles them again.
  void settle_durably(std::size_t items, int status, std::vector<accepted_item> accepted_items,
                      std::vector<rejected_item> rejections, std::size_t retrying, clock::duration latency) {
    const std::size_t settled = accepted_items.size() + rejections.size();
    if (settled == 0 && retrying == 0) return;
    if (auto written = write_durably(accepted_items, rejections); !written) {
      stop(written.error());
      give_up(settled);
      return;
    }
    accepted.fetch_add(accepted_items.size(), std::memory_order_relaxed);
    rejected.fetch_add(rejections.size(), std::memory_order_relaxed);
    buffered.fetch_sub(settled, std::memory_order_relaxed);
    keep_examples(rejections);
    if (options.on_batch) {
      options.on_batch(ingest_batch_event{.items = items, .status = status, .accepted = accepted_items,
                                          .rejected = rejections, .retrying = retrying,
                                          .latency = std::chrono::duration_cast<std::chrono::nanoseconds>(latency)});
    }
  }

  result<void> write_durably(const std::vector<accepted_item>& accepted_items,
                             const std::vector<rejected_item>& rejections) {
    if (options.rejects && !rejections.empty()) {
      if (auto written = options.rejects->write(rejections); !written) return written;
      if (auto synced = options.rejects->sync(); !synced) return synced;
    }
    if (!options.journal) return {};
    std::vector<std::uint64_t> accepted_positions, rejected_positions;
    accepted_positions.reserve(accepted_items.size());
    rejected_positions.reserve(rejections.size());
    for (const auto& a : accepted_items) accepted_positions.push_back(a.position);
    for (const auto& r : rejections) rejected_positions.push_back(r.position);
    return options.journal->append(accepted_positions, rejected_positions);
  }

  void keep_examples(const std::vector<rejected_item>& rejections) {
    if (rejections.empty() || options.keep_rejected == 0) return;
    std::lock_guard lock(mutex);
    for (const auto& r : rejections) {
      if (rejected_items.size() >= options.keep_rejected) break;
      rejected_items.push_back(r);
    }
  }

  /// An item refused before it is sent. Not synced (the next batch's sync or finish()
  /// does it): a line lost with an unsynced page is found again by a resumed job.
  void reject_before_sending(rejected_item item) {
    {
      std::lock_guard lock(mutex);
      if (stopped_by) throw codex::error(*stopped_by);
      if (!started) started = clock::now();
    }
    added.fetch_add(1, std::memory_order_relaxed);
    if (options.rejects) {
      if (auto written = options.rejects->write(std::span(&item, 1)); !written) {
        stop(written.error());
        not_delivered.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
    rejected.fetch_add(1, std::memory_order_relaxed);
    std::vector<rejected_item> one{std::move(item)};
    keep_examples(one);
    if (options.on_batch) options.on_batch(ingest_batch_event{.items = 1, .rejected = one});
  }

  bool settled_before(std::uint64_t position) const {
    const auto* journal = options.journal.get();
    if (journal != nullptr && journal->acknowledged().contains(position)) return true;
    // With a rejects file, the file is the record of rejections: a position the journal
    // calls rejected but the file lacks (the file was replaced) is sent again, so that
    // its line and reason are written once more.
    if (options.rejects) return options.rejects->positions().contains(position);
    return journal != nullptr && journal->rejected().contains(position);
  }

  /// Sends one batch until every item is settled or the job stops, then frees its slot.
  static asio::awaitable<void> send_batch(std::shared_ptr<state> self, std::uint64_t flight_id, pending_batch batch) {
    const auto executor = co_await asio::this_coro::executor;
    std::deque<part> work;
    work.push_back(part{.entries = std::move(batch.entries)});
    try {
      co_await self->deliver(work);
    } catch (const std::exception& e) {
      self->stop(error_info{.code = make_error_code(errc::io_error), .message = std::string("ingester: ") + e.what()});
    } catch (...) {
      self->stop(error_info{.code = make_error_code(errc::io_error), .message = "ingester: internal error"});
    }
    std::size_t left = 0;
    for (const auto& p : work) left += p.entries.size();
    if (left > 0) self->give_up(left);
    self->end_flight(flight_id, executor);
  }

  /// Works through the parts of one batch: each is sent, re-sent, split, or settled;
  /// retryable items of a settled part come back as a new part. Returns when nothing is
  /// left or the job has stopped (what is left in `work` is then not delivered).
  asio::awaitable<void> deliver(std::deque<part>& work) {
    const auto deadline = clock::now() + options.batch_deadline;
    while (!work.empty() && !is_stopped()) {
      part& p = work.front();
      co_await sleep_for(std::exchange(p.wait, std::chrono::milliseconds::zero()));
      if (is_stopped()) co_return;
      if (p.calls == 0) {
        auto key = retry::make_idempotency_key();
        if (!key) {
          stop(std::move(key).error());
          co_return;
        }
        p.idempotency_key = std::move(*key);
        for (auto& e : p.entries) ++e.attempts;
      }
      ++p.calls;
      batches.fetch_add(1, std::memory_order_relaxed);
      const auto call_start = clock::now();
      // Composed again for a re-send rather than kept and copied: the body (up to 8 MiB)
      // is moved into the call, and the entries are the same, so the bytes are too.
      api_request request{.method = net::http_method::post, .path = "/documents/batch", .body = compose_body(p.entries),
                          .idempotency_key = p.idempotency_key};
      auto response = co_await api->execute(std::move(request));
      error_info failure;
      if (response) {
        auto decoded = json::decode_batch_result(response->body);
        if (decoded) {
          part done = std::move(p);
          work.pop_front();
          settle_part(done, *decoded, response->status, clock::now() - call_start, deadline, work);
          continue;
        }
        failure = std::move(decoded).error();
        failure.http_status = response->status;
      } else {
        failure = std::move(response).error();
      }
      if (failure.http_status == 429) rate_limited.fetch_add(1, std::memory_order_relaxed);
      if (is_stopped()) co_return;  // e.g. cancelled by stop(): the part stays unsettled
      const auto decision = ingest::decide_batch_failure(failure, p.entries.size(), p.calls, time_left(deadline),
                                                         retry_limits, retry::jitter_bits());
      switch (decision.action) {
        case ingest::batch_action::resend: {
          std::lock_guard lock(mutex);
          ++batch_retries;
          retried += p.entries.size();
          p.wait = decision.delay;
          break;
        }
        case ingest::batch_action::split: {
          part whole = std::move(p);
          work.pop_front();
          const auto half = static_cast<std::ptrdiff_t>(whole.entries.size() / 2);
          part second{.entries = {std::make_move_iterator(whole.entries.begin() + half),
                                  std::make_move_iterator(whole.entries.end())}};
          whole.entries.resize(static_cast<std::size_t>(half));
          work.push_front(std::move(second));
          work.push_front(part{.entries = std::move(whole.entries)});
          break;
        }
        case ingest::batch_action::refuse: {
          auto reason = ingest::rejection_from(failure, 0);
          entry& e = p.entries.front();
          std::vector<rejected_item> one{rejected_item{.position = e.position, .status = reason.status,
                                                       .error = std::move(reason.error),
                                                       .message = std::move(reason.message),
                                                       .original = std::move(e.original)}};
          work.pop_front();
          settle_durably(1, failure.http_status, {}, std::move(one), 0, clock::now() - call_start);
          break;
        }
        case ingest::batch_action::stop:
          stop(stopping_failure(std::move(failure), decision.why));
          co_return;
      }
    }
  }

  /// Settles a part from the service's answer: accepted and refused items are made
  /// durable; retryable ones go back to `work` as a new part after a backoff (or stop
  /// the job once out of attempts or time).
  void settle_part(part& done, const batch_result& answer, int status, clock::duration latency,
                   clock::time_point deadline, std::deque<part>& work) {
    std::vector<std::uint32_t> attempts;
    attempts.reserve(done.entries.size());
    for (const auto& e : done.entries) attempts.push_back(e.attempts);
    auto settled = ingest::settle(answer, attempts, options.max_item_attempts);
    rate_limited.fetch_add(settled.rate_limited, std::memory_order_relaxed);

    std::vector<accepted_item> accepted_items;
    accepted_items.reserve(settled.accepted.size());
    for (auto& a : settled.accepted) accepted_items.push_back({done.entries[a.index].position, std::move(a.id)});
    std::vector<rejected_item> rejections;
    rejections.reserve(settled.rejected.size());
    for (auto& r : settled.rejected) {
      auto& e = done.entries[r.index];
      rejections.push_back({.position = e.position, .status = r.status, .error = std::move(r.error),
                            .message = std::move(r.message), .original = std::move(e.original)});
    }
    part again{.round = done.round + 1};
    again.entries.reserve(settled.retry.size());
    for (const std::size_t i : settled.retry) again.entries.push_back(std::move(done.entries[i]));
    if (!settled.exhausted.empty()) {
      const auto& first = settled.exhausted.front();
      stop(exhausted_failure(first, done.entries[first.index].position));
      give_up(settled.exhausted.size());
    }
    const std::size_t retrying = again.entries.size();
    settle_durably(done.entries.size(), status, std::move(accepted_items), std::move(rejections), retrying, latency);
    if (again.entries.empty() || is_stopped()) {
      if (!again.entries.empty()) work.push_back(std::move(again));  // given up by send_batch
      return;
    }
    const auto decision = ingest::decide_item_round(again.round, time_left(deadline), retry_limits, retry::jitter_bits());
    if (decision.action != ingest::batch_action::resend) {
      stop(error_info{.code = make_error_code(errc::timeout), .http_status = status,
                      .message = std::string(decision.why) + ": " + std::to_string(retrying) +
                                 " items still answered 408/409/429/5xx"});
    } else {
      again.wait = decision.delay;
      std::lock_guard lock(mutex);
      retried += retrying;
    }
    work.push_back(std::move(again));
  }
};

ingester::ingester(client& api, ingester_options options)
    : state_(std::make_shared<state>(api, std::move(options))) {}

ingester::~ingester() = default;

asio::awaitable<void> ingester::add(document_input document) {
  // A named item, not a braced temporary inside the co_await: g++ 12 mishandles those.
  ingest_item item{.position = state_->next_auto_position.fetch_add(1, std::memory_order_relaxed),
                   .document = std::move(document)};
  co_await add(std::move(item));
}

bool ingester::skip_if_settled(std::uint64_t position) {
  if (!state_->settled_before(position)) return false;
  state_->skipped.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ingester::reject(rejected_item item) {
  if (skip_if_settled(item.position)) return;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->finishing) throw codex::error(usage_error("ingester: reject() after finish()"));
  }
  state_->reject_before_sending(std::move(item));
}

void ingester::stop() {
  state_->stop(error_info{.code = make_error_code(errc::cancelled), .message = "the ingest was stopped"});
}

asio::awaitable<void> ingester::add(ingest_item item) {
  auto s = state_;
  const auto executor = co_await asio::this_coro::executor;
  if (skip_if_settled(item.position)) co_return;
  if (!item.document.id && !s->id_seed.empty()) {
    item.document.id = ingest::derive_document_id(s->id_seed, item.position);
  }
  entry e{.position = item.position, .original = std::move(item.original)};
  if (const auto ec = json::encode(item.document, e.encoded)) {
    s->reject_before_sending(rejected_item{.position = e.position, .error = "invalid_utf8",
                                           .message = "the document cannot be encoded: " + ec.message(),
                                           .original = std::move(e.original)});
    co_return;
  }
  for (;;) {
    std::shared_ptr<detail::wakeup> waiter;
    std::optional<pending_batch> due;
    std::optional<std::uint64_t> arm_for;
    bool done = false;
    bool too_large = false;
    {
      std::lock_guard lock(s->mutex);
      if (s->finishing) throw codex::error(usage_error("ingester: add() after finish()"));
      if (s->stopped_by) throw codex::error(*s->stopped_by);
      if (!s->started) s->started = clock::now();
      const auto verdict = ingest::admit(s->limits, s->filling.entries.size(), s->filling.item_bytes, e.encoded.size());
      if (verdict == ingest::admission::item_too_large) {
        too_large = true;
      } else if (verdict == ingest::admission::fits) {
        s->filling.item_bytes += e.encoded.size();
        s->filling.entries.push_back(std::move(e));
        s->added.fetch_add(1, std::memory_order_relaxed);
        raise_peak(s->peak_buffered, s->buffered.fetch_add(1, std::memory_order_relaxed) + 1);
        if (s->filling.entries.size() == 1) {
          if (s->options.linger <= std::chrono::milliseconds::zero()) s->linger_elapsed = true;
          else arm_for = s->generation;
        }
        due = s->take_if_due();
        done = true;
      } else {
        s->closed = true;
        due = s->take_if_due();
        if (!due) {
          waiter = std::make_shared<detail::wakeup>();
          s->waiters.push_back(waiter);
        }
      }
    }
    if (too_large) {
      const std::size_t bytes = ingest::batch_body_bytes(1, e.encoded.size());
      s->reject_before_sending(rejected_item{
          .position = e.position, .status = 413, .error = "payload_too_large",
          .message = "the document alone makes a batch body of " + std::to_string(bytes) +
                     " bytes, over the limit of " + std::to_string(s->limits.max_bytes),
          .original = std::move(e.original)});
      co_return;
    }
    if (due) s->launch(executor, std::move(*due));
    if (arm_for) s->arm_linger(executor, *arm_for);
    if (done) co_return;
    if (waiter && !co_await waiter->wait()) {
      throw codex::error(error_info{.code = make_error_code(errc::cancelled), .message = "ingester: add() cancelled"});
    }
  }
}

asio::awaitable<ingest_report> ingester::finish() {
  auto s = state_;
  const auto executor = co_await asio::this_coro::executor;
  for (;;) {
    std::shared_ptr<detail::wakeup> waiter;
    std::optional<pending_batch> due;
    {
      std::lock_guard lock(s->mutex);
      s->finishing = true;
      due = s->take_if_due();
      if (!due && s->slots_used == 0 && (s->filling.entries.empty() || s->stopped_by)) break;
      waiter = std::make_shared<detail::wakeup>();
      s->waiters.push_back(waiter);
    }
    if (due) s->launch(executor, std::move(*due));
    if (!co_await waiter->wait()) {
      throw codex::error(error_info{.code = make_error_code(errc::cancelled), .message = "ingester: finish() cancelled"});
    }
  }
  if (s->options.rejects) {
    if (auto synced = s->options.rejects->sync(); !synced) s->stop(synced.error());
  }

  ingest_report report;
  {
    std::lock_guard lock(s->mutex);
    // A stopped job never sends what was still filling.
    if (!s->filling.entries.empty()) {
      s->give_up(s->filling.entries.size());
      s->filling = {};
    }
    report.rejected_items = std::move(s->rejected_items);
    report.retried = s->retried;
    report.batch_retries = s->batch_retries;
    report.stopped_by = s->stopped_by;
    if (s->started) report.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - *s->started);
  }
  report.added = s->added.load();
  report.accepted = s->accepted.load();
  report.rejected = s->rejected.load();
  report.not_delivered = s->not_delivered.load();
  report.skipped = s->skipped.load();
  report.batches = s->batches.load();
  report.rate_limited = s->rate_limited.load();
  report.peak_buffered = s->peak_buffered.load();
  const double seconds = std::chrono::duration<double>(report.duration).count();
  const double settled = static_cast<double>(report.accepted + report.rejected);
  if (seconds > 0) report.items_per_second = settled / seconds;
  const auto& rate = s->api->rate();
  const double period = std::chrono::duration<double>(rate.period).count();
  if (report.batches > 0 && period > 0 && rate.limit > 0) {
    // The limiter lets `burst` calls go at once, then `limit` per `period`.
    const double calls = static_cast<double>(rate.burst) + seconds * static_cast<double>(rate.limit) / period;
    report.fraction_of_bound = settled / (calls * static_cast<double>(s->limits.max_items));
  }
  co_return report;
}

ingest_progress ingester::progress() const noexcept {
  const auto& s = *state_;
  return ingest_progress{.added = s.added.load(), .accepted = s.accepted.load(), .rejected = s.rejected.load(),
                         .not_delivered = s.not_delivered.load(), .skipped = s.skipped.load(),
                         .in_flight = s.in_flight.load(), .batches = s.batches.load(),
                         .rate_limited = s.rate_limited.load(), .buffered = s.buffered.load(),
                         .peak_buffered = s.peak_buffered.load()};
}

const ingester_options& ingester::options() const noexcept { return state_->options; }

}  // namespace codex
