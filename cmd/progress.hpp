#pragma once
// compose's progress lines (" ✔ Container demo-web-1  Started", " ✘ … Error"), as the
// global --progress asks: auto, tty and plain print them one a line (stack has no
// redrawn display), quiet prints none (errors still reach stderr as `stack:` lines).
// json is compose's too, but not done: refused.
#include <string>

#include "engine/base/result.hpp"

namespace stack::cli {

Result<void> set_progress(const std::string& mode);
// " ✔ <object>  <status>" on stdout.
void progress_done(const std::string& object, const std::string& status);
// " ✘ <object>  Error" on stdout (quiet: nothing), the reason the caller's; with why:
// " ✘ <object>  Error: <why>" on stderr (quiet: "stack: <object>: <why>").
void progress_failed(const std::string& object, const std::string& why = {});

}  // namespace stack::cli
