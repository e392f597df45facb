#pragma once
// Shared helpers for the model's unit tests: load YAML text as if it were ./stack.yaml.
#include <string>
#include <vector>

#include "engine/model/load.hpp"

namespace stack::model::test {

inline LoadOptions options(const std::string& dir = "/nonexistent-stack-test/proj") {
  LoadOptions o;
  o.working_dir = dir;
  return o;
}

inline Result<Project> load_text(const std::string& text, LoadOptions o = options()) {
  return load_documents({Document{"stack.yaml", text}}, o);
}

// The error message of a load that must fail ("" if it loaded).
inline std::string error_of(const std::string& text, LoadOptions o = options()) {
  auto p = load_text(text, o);
  return p ? std::string() : p.error().message;
}

}  // namespace stack::model::test
