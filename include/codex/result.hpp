#pragma once
// codex::result<T> — the non-throwing form of every call: a value or an error_info.

#include <codex/error.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace codex {

/// A value of type T, or the error_info of the failure that prevented it.
/// value() throws codex::error on failure; has_value()/error() never throw.
namespace detail {

/// An error_info holding only `code` (assigned, not designated: users who build with
/// -Wextra would otherwise get -Wmissing-field-initializers from this header).
inline error_info error_of(std::error_code code) {
  error_info info;
  info.code = code;
  return info;
}

}  // namespace detail

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  /// A value-initialized T, as std::expected does (so that results can travel through
  /// APIs that default-construct them, e.g. asio::co_spawn's completion).
  result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(error_info failure) : state_(std::in_place_index<1>, std::move(failure)) {}
  result(std::error_code code) : state_(std::in_place_index<1>, detail::error_of(code)) {}
  result(errc code) : result(make_error_code(code)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { throw_if_error(); return std::get<0>(state_); }
  const T& value() const& { throw_if_error(); return std::get<0>(state_); }
  T&& value() && { throw_if_error(); return std::get<0>(std::move(state_)); }

  T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  T* operator->() noexcept { return std::get_if<0>(&state_); }
  const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  /// The failure; only meaningful when !has_value().
  const error_info& error() const& noexcept { return *std::get_if<1>(&state_); }
  error_info&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }
  std::error_code code() const noexcept { return has_value() ? std::error_code{} : error().code; }

 private:
  void throw_if_error() const {
    if (!has_value()) throw codex::error(error());
  }
  std::variant<T, error_info> state_;
};

/// result<void>: success, or an error_info.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error_info failure) : failure_(std::move(failure)), failed_(true) {}
  result(std::error_code code) : result(detail::error_of(code)) {}
  result(errc code) : result(make_error_code(code)) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (failed_) throw codex::error(failure_);
  }
  const error_info& error() const& noexcept { return failure_; }
  std::error_code code() const noexcept { return failed_ ? failure_.code : std::error_code{}; }

 private:
  error_info failure_;
  bool failed_ = false;
};

}  // namespace codex
