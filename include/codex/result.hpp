#pragma once
// codex::result<T> — the non-throwing form of every call: a value or an error_info.

#include <codex/error.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace codex {

namespace detail {

/// An error_info holding only `code` (assigned, not designated: users who build with
/// -Wextra would otherwise get -Wmissing-field-initializers from this header).
inline error_info error_of(std::error_code code) {
  error_info info;
  info.code = code;
  return info;
}

}  // namespace detail

/// A value of type T, or the error_info of the failure that prevented it: what every
/// `try_X` call of the SDK returns.
///
/// value() throws codex::error on failure; has_value(), code() and the constructors
/// never throw (beyond what copying T or error_info may). Unlike value(), operator*
/// and operator-> do not check: use them only after has_value().
/// Thread-safety: a plain value — concurrent const use is safe, anything else needs
/// the caller's synchronisation.
template <class T>
class [[nodiscard]] result {
 public:
  /// The type of the value held on success.
  using value_type = T;

  /// A value-initialized T, as std::expected does (so that results can travel through
  /// APIs that default-construct them, e.g. asio::co_spawn's completion).
  result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  /// A success holding `value`.
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  /// A failure described by `failure` (code, HTTP status, service code, message, ...).
  result(error_info failure) : state_(std::in_place_index<1>, std::move(failure)) {}
  /// A failure carrying only `code` (no HTTP status, message or request id).
  result(std::error_code code) : state_(std::in_place_index<1>, detail::error_of(code)) {}
  /// A failure carrying only codex's error code `code`.
  result(errc code) : result(make_error_code(code)) {}

  /// True when the result holds a value.
  bool has_value() const noexcept { return state_.index() == 0; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value. Throws codex::error, made from error(), when the result is a failure.
  T& value() & { throw_if_error(); return std::get<0>(state_); }
  /// The value (const). Throws codex::error, made from error(), on failure.
  const T& value() const& { throw_if_error(); return std::get<0>(state_); }
  /// The value, to be moved out of an rvalue result. Throws codex::error on failure.
  T&& value() && { throw_if_error(); return std::get<0>(std::move(state_)); }

  /// The value, unchecked. Precondition: has_value() (undefined behaviour otherwise).
  T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  /// The value (const), unchecked. Precondition: has_value().
  const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  /// A pointer to the value, unchecked: null when the result is a failure.
  T* operator->() noexcept { return std::get_if<0>(&state_); }
  /// A pointer to the value (const), unchecked: null when the result is a failure.
  const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  /// The failure. Precondition: !has_value() (undefined behaviour otherwise).
  const error_info& error() const& noexcept { return *std::get_if<1>(&state_); }
  /// The failure, to be moved out of an rvalue result. Precondition: !has_value().
  error_info&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }
  /// The failure's code; an empty std::error_code on success.
  std::error_code code() const noexcept { return has_value() ? std::error_code{} : error().code; }

 private:
  void throw_if_error() const {
    if (!has_value()) throw codex::error(error());
  }
  std::variant<T, error_info> state_;
};

/// result<void>: success, or an error_info — what a `try_X` call with no value (e.g.
/// documents::try_remove) returns. The same contract as result<T>; error() is safe to
/// call on success (it is then an error_info with an empty code).
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  /// A failure described by `failure`.
  result(error_info failure) : failure_(std::move(failure)), failed_(true) {}
  /// A failure carrying only `code`.
  result(std::error_code code) : result(detail::error_of(code)) {}
  /// A failure carrying only codex's error code `code`.
  result(errc code) : result(make_error_code(code)) {}

  /// True on success.
  bool has_value() const noexcept { return !failed_; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// Does nothing on success; throws codex::error, made from error(), on failure.
  void value() const {
    if (failed_) throw codex::error(failure_);
  }
  /// The failure; on success, an error_info with an empty code.
  const error_info& error() const& noexcept { return failure_; }
  /// The failure's code; an empty std::error_code on success.
  std::error_code code() const noexcept { return failed_ ? failure_.code : std::error_code{}; }

 private:
  error_info failure_;
  bool failed_ = false;
};

}  // namespace codex
