// to_yaml: the JSON form written as YAML, strings quoted wherever a reader would take
// them for something else (numbers, booleans, null), as `docker compose config` does.
#include <yaml-cpp/emitter.h>

#include <regex>

#include "engine/model/load.hpp"

namespace stack::model {
namespace {

bool needs_quotes(const std::string& s) {
  static const std::regex special(
      "^(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|"
      "[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|[0-9:]+)$");
  return std::regex_match(s, special);
}

void emit(YAML::Emitter& out, const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      if (j.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      if (j.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& v : j) emit(out, v);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case nlohmann::json::value_t::boolean:
      out << j.get<bool>();
      break;
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      out << YAML::Null;
      break;
    default:
      out << j.dump();  // numbers, in JSON's spelling
      break;
  }
}

}  // namespace

std::string to_yaml(const Project& project) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  out.SetNullFormat(YAML::LowerNull);
  // Top-level keys in compose's order; nested keys sorted, close to compose-go's field order.
  nlohmann::json j = to_json(project);
  out << YAML::BeginMap;
  for (const char* key : {"name", "services", "networks", "volumes"}) {
    if (!j.contains(key)) continue;
    out << YAML::Key << key << YAML::Value;
    emit(out, j[key]);
    j.erase(key);
  }
  for (const auto& [k, v] : j.items()) {
    out << YAML::Key << k << YAML::Value;
    emit(out, v);
  }
  out << YAML::EndMap;
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

}  // namespace stack::model
