#include <codex/ingest/ingester.hpp>

#include "detail/wakeup.hpp"

#include <codex/client.hpp>
#include <codex/ingest/batch_policy.hpp>
#include <codex/ingest/item_outcome.hpp>
#include <codex/ingest/stable_id.hpp>
#include <codex/json/decode.hpp>
#include <codex/json/encode.hpp>
#include <codex/retry/idempotency.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <exception>
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
  std::uint32_t attempts = 0;  // times sent so far
};

struct pending_batch {
  std::vector<entry> entries;
  std::size_t item_bytes = 0;  // sum of the entries' encoded sizes
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

}  // namespace

struct ingester::state : std::enable_shared_from_this<state> {
  state(client& c, ingester_options o) : api(&c), options(std::move(o)) {
    limits = {.max_items = options.max_items, .max_bytes = options.max_bytes};
    if (!ingest::valid(limits)) {
      throw codex::error(usage_error("ingester: max_items must be 1 to 1000 and max_bytes at most 8 MiB"));
    }
    if (options.max_in_flight == 0) throw codex::error(usage_error("ingester: max_in_flight must be at least 1"));
    if (options.max_batch_attempts == 0 || options.max_item_attempts == 0) {
      throw codex::error(usage_error("ingester: max_batch_attempts and max_item_attempts must be at least 1"));
    }
    id_seed = !options.id_seed.empty() ? options.id_seed : options.journal ? options.journal->job_id() : std::string();
  }

  client* api;
  ingester_options options;
  ingest::batch_limits limits;
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
  std::vector<rejected_item> rejected_items;
  std::uint64_t retried = 0;
  std::uint64_t batch_retries = 0;
  std::error_code io_error;
  std::string io_message;

  std::atomic<std::uint64_t> added{0}, accepted{0}, rejected{0}, in_flight{0}, batches{0}, rate_limited{0},
      buffered{0}, peak_buffered{0}, next_auto_position{0};

  /// The filling batch, if it should go out now and a slot is free (the slot is then
  /// taken). Caller holds the mutex.
  std::optional<pending_batch> take_if_due() {
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

  void launch(const asio::any_io_executor& executor, pending_batch batch) {
    auto self = shared_from_this();
    asio::co_spawn(executor, send_batch(self, std::move(batch)), [self](std::exception_ptr) {
      // send_batch catches everything itself; nothing is left to report here.
    });
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

  /// A batch's slot is free: send the filling batch if it is due, wake the waiters.
  void release_slot(const asio::any_io_executor& executor) {
    std::optional<pending_batch> due;
    {
      std::lock_guard lock(mutex);
      --slots_used;
      in_flight.fetch_sub(1, std::memory_order_relaxed);
      due = take_if_due();
    }
    if (due) launch(executor, std::move(*due));
    wake_all();
  }

  /// Records settled items: counters, the report's list, the rejects file, the event.
  /// Accepted positions must already be journalled.
  void record(std::size_t items, int status, const std::vector<accepted_item>& accepted_items,
              const std::vector<rejected_item>& rejections, std::size_t retrying, clock::duration latency) {
    accepted.fetch_add(accepted_items.size(), std::memory_order_relaxed);
    rejected.fetch_add(rejections.size(), std::memory_order_relaxed);
    buffered.fetch_sub(accepted_items.size() + rejections.size(), std::memory_order_relaxed);
    if (options.rejects) {
      for (const auto& r : rejections) {
        if (auto written = options.rejects->write(r); !written) io_failed(written.error());
      }
    }
    if (options.keep_rejected && !rejections.empty()) {
      std::lock_guard lock(mutex);
      rejected_items.insert(rejected_items.end(), rejections.begin(), rejections.end());
    }
    if (options.on_batch) {
      options.on_batch(ingest_batch_event{.items = items, .status = status, .accepted = accepted_items,
                                          .rejected = rejections, .retrying = retrying,
                                          .latency = std::chrono::duration_cast<std::chrono::nanoseconds>(latency)});
    }
  }

  /// An item that never reaches the service (it cannot be encoded, or is too large).
  void reject_locally(entry e, int status, std::string code, std::string message) {
    added.fetch_add(1, std::memory_order_relaxed);
    buffered.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mutex);
      if (!started) started = clock::now();
    }
    std::vector<rejected_item> one{rejected_item{.position = e.position, .status = status, .error = std::move(code),
                                                 .message = std::move(message), .original = std::move(e.original)}};
    record(1, 0, {}, one, 0, {});
  }

  void io_failed(const error_info& failure) {
    std::lock_guard lock(mutex);
    if (!io_error) {
      io_error = failure.code;
      io_message = failure.message;
    }
  }

  /// One call with one body and one Idempotency-Key, re-sent while its failure is
  /// transient. Returns the decoded answer, or the failure that ended it.
  asio::awaitable<std::pair<result<batch_result>, int>> call_batch(const std::string& body, std::size_t items) {
    auto key = retry::make_idempotency_key();
    if (!key) co_return std::pair<result<batch_result>, int>{std::move(key).error(), 0};
    for (std::uint32_t calls = 1;; ++calls) {
      batches.fetch_add(1, std::memory_order_relaxed);
      api_request request{.method = net::http_method::post, .path = "/documents/batch", .body = body,
                          .idempotency_key = *key};
      auto response = co_await api->execute(std::move(request));
      error_info failure;
      if (response) {
        auto decoded = json::decode_batch_result(response->body);
        if (decoded) co_return std::pair<result<batch_result>, int>{std::move(*decoded), response->status};
        failure = std::move(decoded).error();
        failure.http_status = response->status;
      } else {
        failure = std::move(response).error();
      }
      if (failure.http_status == 429) rate_limited.fetch_add(1, std::memory_order_relaxed);
      const auto decision = ingest::decide_batch_failure(failure, calls, options.max_batch_attempts,
                                                         options.backoff, retry::jitter_bits());
      if (!decision.retry) {
        const int status = failure.http_status;
        co_return std::pair<result<batch_result>, int>{std::move(failure), status};
      }
      {
        std::lock_guard lock(mutex);
        ++batch_retries;
        retried += items;
      }
      co_await sleep_for(decision.delay);
    }
  }

  /// Sends one batch until every item is settled, then frees its slot.
  static asio::awaitable<void> send_batch(std::shared_ptr<state> self, pending_batch batch) {
    const auto executor = co_await asio::this_coro::executor;
    std::exception_ptr failure;
    try {
      co_await self->send_rounds(batch);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) self->reject_after_exception(batch, failure);
    self->release_slot(executor);
  }

  /// Rounds: the whole batch, then its items answered 408/429/5xx, after a backoff.
  asio::awaitable<void> send_rounds(pending_batch& batch) {
    for (std::uint32_t round = 1; !batch.entries.empty(); ++round) {
      if (round > 1) co_await sleep_for(options.backoff.delay(round - 1, retry::jitter_bits()));
      std::vector<std::uint32_t> attempts;
      attempts.reserve(batch.entries.size());
      for (auto& e : batch.entries) attempts.push_back(++e.attempts);

      const auto call_start = clock::now();
      const std::string body = compose_body(batch.entries);
      auto [answer, status] = co_await call_batch(body, batch.entries.size());
      ingest::settlement settled;
      if (answer) {
        settled = ingest::settle(*answer, attempts, options.max_item_attempts);
        rate_limited.fetch_add(settled.rate_limited, std::memory_order_relaxed);
      } else {
        for (std::size_t i = 0; i < batch.entries.size(); ++i) {
          settled.rejected.push_back(ingest::rejection_from(answer.error(), i));
        }
      }

      // Durable first: only journalled positions are counted or reported accepted.
      std::vector<accepted_item> accepted_items;
      accepted_items.reserve(settled.accepted.size());
      std::vector<std::uint64_t> positions;
      positions.reserve(settled.accepted.size());
      for (auto& a : settled.accepted) {
        positions.push_back(batch.entries[a.index].position);
        accepted_items.push_back({batch.entries[a.index].position, std::move(a.id)});
      }
      if (options.journal) {
        if (auto written = options.journal->append(positions); !written) io_failed(written.error());
      }
      std::vector<rejected_item> rejections;
      rejections.reserve(settled.rejected.size());
      for (auto& r : settled.rejected) {
        auto& e = batch.entries[r.index];
        rejections.push_back({.position = e.position, .status = r.status, .error = std::move(r.error),
                              .message = std::move(r.message), .original = std::move(e.original)});
      }
      std::vector<entry> again;
      again.reserve(settled.retry.size());
      for (const std::size_t i : settled.retry) again.push_back(std::move(batch.entries[i]));
      if (!again.empty()) {
        std::lock_guard lock(mutex);
        retried += again.size();
      }
      record(batch.entries.size(), status, accepted_items, rejections, again.size(), clock::now() - call_start);
      batch.entries = std::move(again);
    }
  }

  /// Last resort (e.g. std::bad_alloc): the batch's unsettled items are rejected, so
  /// that the accounting still holds.
  void reject_after_exception(pending_batch& batch, std::exception_ptr failure) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::vector<rejected_item> rejections;
    for (auto& e : batch.entries) {
      rejections.push_back({.position = e.position, .status = 0, .error = "internal_error", .message = what,
                            .original = std::move(e.original)});
    }
    batch.entries.clear();
    record(rejections.size(), 0, {}, rejections, 0, {});
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

asio::awaitable<void> ingester::add(ingest_item item) {
  auto s = state_;
  const auto executor = co_await asio::this_coro::executor;
  if (!item.document.id && !s->id_seed.empty()) {
    item.document.id = ingest::derive_document_id(s->id_seed, item.position);
  }
  entry e{.position = item.position, .original = std::move(item.original)};
  if (const auto ec = json::encode(item.document, e.encoded)) {
    s->reject_locally(std::move(e), 0, "invalid_utf8", "the document cannot be encoded: " + ec.message());
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
      s->reject_locally(std::move(e), 413, "payload_too_large",
                        "the document alone makes a batch body of " + std::to_string(bytes) +
                            " bytes, over the limit of " + std::to_string(s->limits.max_bytes));
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
      if (!due && s->slots_used == 0 && s->filling.entries.empty()) break;
      waiter = std::make_shared<detail::wakeup>();
      s->waiters.push_back(waiter);
    }
    if (due) s->launch(executor, std::move(*due));
    if (!co_await waiter->wait()) {
      throw codex::error(error_info{.code = make_error_code(errc::cancelled), .message = "ingester: finish() cancelled"});
    }
  }
  if (s->options.rejects) {
    if (auto flushed = s->options.rejects->flush(); !flushed) s->io_failed(flushed.error());
  }

  ingest_report report;
  {
    std::lock_guard lock(s->mutex);
    report.rejected_items = s->rejected_items;
    report.retried = s->retried;
    report.batch_retries = s->batch_retries;
    report.io_error = s->io_error;
    report.io_message = s->io_message;
    if (s->started) report.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - *s->started);
  }
  report.added = s->added.load();
  report.accepted = s->accepted.load();
  report.rejected = s->rejected.load();
  report.batches = s->batches.load();
  report.rate_limited = s->rate_limited.load();
  report.peak_buffered = s->peak_buffered.load();
  const double seconds = std::chrono::duration<double>(report.duration).count();
  if (seconds > 0) report.items_per_second = static_cast<double>(report.accepted + report.rejected) / seconds;
  const auto& rate = s->api->configuration().rate_limit;
  const double period = std::chrono::duration<double>(rate.period).count();
  if (period > 0 && rate.limit > 0) {
    const double bound = static_cast<double>(rate.limit) / period * static_cast<double>(s->limits.max_items);
    report.fraction_of_bound = report.items_per_second / bound;
  }
  co_return report;
}

ingest_progress ingester::progress() const noexcept {
  const auto& s = *state_;
  return ingest_progress{.added = s.added.load(), .accepted = s.accepted.load(), .rejected = s.rejected.load(),
                         .in_flight = s.in_flight.load(), .batches = s.batches.load(),
                         .rate_limited = s.rate_limited.load(), .buffered = s.buffered.load(),
                         .peak_buffered = s.peak_buffered.load()};
}

const ingester_options& ingester::options() const noexcept { return state_->options; }

}  // namespace codex
