#pragma once
// Runs `nft -f -` with a script on stdin, optionally inside another netns (the child
// setns(2)s before execve). Internal to nat.cpp.
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::net {

class Netns;

struct NftRun {
  int status = -1;     // exit status; 127 when nft could not be executed
  std::string output;  // stdout and stderr together
};

// The absolute path of nft from PATH, /usr/sbin or /sbin; nullopt if not installed.
std::optional<std::string> find_nft();
// Runs `nft [args...] -f -`, feeding script. Errors only for our own failures.
Result<NftRun> run_nft(const std::string& nft, std::string_view script, const Netns* ns);

}  // namespace stack::net
