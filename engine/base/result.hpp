#pragma once
// Result<T>: a value or an Error, with std::expected's member names so that it can
// become an alias of std::expected<T, Error> once the project moves to C++23.
#include <cassert>
#include <cerrno>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace stack {

struct Error {
  int code = 0;         // errno, or 0 when no system call is behind the failure
  std::string message;  // what failed, on what, and why (see style.md rule 2)

  // Prefixes context while keeping the innermost errno: "starting web: " + message.
  [[nodiscard]] Error wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
};

template <typename E = Error>
struct Unexpected {
  E error;
};

// unexpected(Error{...}) reads like std::unexpected.
inline Unexpected<Error> unexpected(Error e) { return {std::move(e)}; }

// A failure with no errno behind it.
inline Unexpected<Error> fail(std::string message) { return {Error{0, std::move(message)}}; }

// A failed system call: "what: strerror(errno)". Reads errno at the call.
Unexpected<Error> fail_errno(std::string_view what);
Unexpected<Error> fail_errno(int code, std::string_view what);

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = Error;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <typename U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected<Error>>)
  Result(U&& v) : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  Error&& error() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& { return has_value() ? value() : T(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  using error_type = Error;

  Result() = default;
  Result(Unexpected<Error> e) : failed_(true), error_(std::move(e.error)) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const { assert(has_value()); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  bool failed_ = false;
  Error error_;
};

// Passes a failure up with context: `STACK_TRY_CTX(r, "mounting /proc")`.
#define STACK_TRY(expr)                                                   \
  do {                                                                    \
    auto&& stack_try_r_ = (expr);                                         \
    if (!stack_try_r_) return ::stack::unexpected(std::move(stack_try_r_).error()); \
  } while (0)

#define STACK_TRY_CTX(expr, ctx)                                          \
  do {                                                                    \
    auto&& stack_try_r_ = (expr);                                         \
    if (!stack_try_r_) return ::stack::unexpected(stack_try_r_.error().wrap(ctx)); \
  } while (0)

}  // namespace stack
