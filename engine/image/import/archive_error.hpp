#pragma once
// libarchive failures as Results: libarchive's own text, plus the errno text when it
// set a real one that the text does not already carry (archive_errno is 0 for its
// security refusals, and EILSEQ, "Invalid or incomplete multibyte or wide character",
// for a format it does not know: neither text would help).
#include <archive.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "engine/base/result.hpp"

namespace stack::image {

inline Unexpected<Error> archive_fail(archive* a, const std::string& what) {
  const char* s = archive_error_string(a);
  std::string msg = what + ": " + (s ? s : "unknown libarchive error");
  int e = archive_errno(a);
  if (e == EILSEQ) e = 0;  // ARCHIVE_ERRNO_FILE_FORMAT: libarchive's "not this format"
  if (e > 0 && (!s || !std::strstr(s, std::strerror(e)))) msg += std::string(": ") + std::strerror(e);
  return unexpected(Error{e > 0 ? e : 0, std::move(msg)});
}

}  // namespace stack::image
