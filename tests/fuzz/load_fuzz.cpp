// libFuzzer target for the stack file loader (issue 2: "never a crash, abort, uncaught
// exception, hang or runaway memory, whatever the input"). The input is one or more
// YAML documents: a line "---8<---" splits it into several -f files, so the merge of
// files is fuzzed too. On success the Project is printed both ways, as `stack config`
// would, to reach the JSON and YAML writers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/model/load.hpp"

namespace {

constexpr std::string_view kSplit = "\n---8<---\n";

std::vector<stack::model::Document> split_documents(std::string_view input) {
  std::vector<stack::model::Document> docs;
  while (docs.size() < 8) {
    size_t cut = input.find(kSplit);
    std::string name = "fuzz" + std::to_string(docs.size()) + ".yaml";
    if (cut == std::string_view::npos || docs.size() == 7) {
      docs.push_back({name, std::string(input)});
      break;
    }
    docs.push_back({name, std::string(input.substr(0, cut))});
    input.remove_prefix(cut + kSplit.size());
  }
  return docs;
}

stack::model::LoadOptions options() {
  stack::model::LoadOptions o;
  // A directory that does not exist: relative env_file and bind paths resolve to
  // nothing, so the fuzzer never reads the tree it runs in.
  o.working_dir = "/nonexistent/stack-fuzz";
  o.project_directory = "/nonexistent/stack-fuzz";
  o.project_name = "fuzz";
  o.environment = {{"FOO", "foo"}, {"EMPTY", ""}, {"PORT", "8080"}, {"TAG", "1.0"},
                   {"COMPOSE_PROFILES", "debug"}};
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const stack::model::LoadOptions kOptions = options();
  auto project = stack::model::load_documents(split_documents(input), kOptions);
  if (project) {
    static volatile size_t sink = 0;
    sink = sink + stack::model::to_json(*project).dump().size();
    sink = sink + stack::model::to_yaml(*project).size();
  } else if (project.error().message.empty()) {
    __builtin_trap();  // every failure must say why
  }
  return 0;
}
