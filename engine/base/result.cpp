#include "engine/base/result.hpp"

#include <cstring>

namespace stack {

Unexpected<Error> fail_errno(int code, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(code);
  return {Error{code, std::move(msg)}};
}

Unexpected<Error> fail_errno(std::string_view what) { return fail_errno(errno, what); }

}  // namespace stack
