#pragma once
// The front door of the model: stack files in, an immutable Project out.
// Flow (design.md "Flow of one up", step 1): read files -> YAML with positions ->
// merge -f files -> interpolate -> validate -> normalize -> Project.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/model/project.hpp"

namespace stack::model {

struct LoadOptions {
  std::vector<std::string> files;           // -f in order; empty: discover in working_dir
  std::string working_dir;                  // where discovery looks (the CLI's cwd)
  std::string project_directory;            // --project-directory; empty: first file's dir
  std::string project_name;                 // -p; else name:, COMPOSE_PROJECT_NAME, dir name
  std::vector<std::string> env_files;       // --env-file; empty: <project dir>/.env if present
  std::vector<std::string> profiles;        // --profile (plus COMPOSE_PROFILES)
  std::map<std::string, std::string> environment;  // the process environment
};

// Every error message starts "FILE:LINE:COL: key.path: " when it is about a place in a file.
Result<Project> load(const LoadOptions& options);

// The same pipeline over in-memory documents (name -> YAML text), for tests and fuzzing.
struct Document {
  std::string name;  // used as FILE in error messages
  std::string text;
};
Result<Project> load_documents(const std::vector<Document>& docs, const LoadOptions& options);

// The shape of `docker compose config --format json`.
nlohmann::json to_json(const Project& project);
std::string to_yaml(const Project& project);

}  // namespace stack::model
