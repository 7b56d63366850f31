#pragma once
// codex::async_call — how every awaitable call of the SDK is also reachable with any
// Asio completion token (a callback, asio::use_future, as_tuple(use_awaitable), ...).

#include <codex/result.hpp>

#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace codex {

/// The completion signature of a call whose awaitable form yields T:
/// void(std::exception_ptr, T), or void(std::exception_ptr) when T is void. The
/// exception, when set, is the codex::error the awaitable form would have thrown.
template <class T>
struct completion_signature {
  using type = void(std::exception_ptr, T);  ///< the signature
};
/// The completion signature of a call that yields nothing (e.g. documents::remove):
/// void(std::exception_ptr).
template <>
struct completion_signature<void> {
  using type = void(std::exception_ptr);  ///< the signature
};
/// completion_signature<T>::type.
template <class T>
using completion_signature_t = typename completion_signature<T>::type;

/// A completion token usable for a call yielding T.
template <class Token, class T>
concept completion_token_for_call = asio::completion_token_for<Token, completion_signature_t<T>>;

/// Runs `call` on `executor` and delivers its outcome to `token`, as asio::co_spawn
/// does: the value, or the exception it threw (for codex calls: a codex::error).
///
/// `call` must own everything it refers to (codex's calls take their arguments by
/// value, so an awaitable they returned qualifies); T must be default-constructible
/// when the token's handler receives a value (Asio passes T() alongside an exception).
/// Thread-safety: as asio::co_spawn; the call runs on `executor`, and the handler is
/// invoked through its associated executor.
template <class Executor, class T, class Token>
  requires completion_token_for_call<Token, T>
auto async_call(Executor executor, asio::awaitable<T> call, Token&& token) {
  return asio::co_spawn(std::move(executor), std::move(call), std::forward<Token>(token));
}

namespace detail {

/// The throwing form of a call from its non-throwing one: the value, or a throw of
/// codex::error. Takes the awaitable by value (it owns the call's arguments).
template <class T>
asio::awaitable<T> value_or_throw(asio::awaitable<result<T>> call) {
  result<T> outcome = co_await std::move(call);
  co_return std::move(outcome).value();
}

inline asio::awaitable<void> value_or_throw(asio::awaitable<result<void>> call) {
  const result<void> outcome = co_await std::move(call);
  outcome.value();
}

}  // namespace detail

}  // namespace codex
