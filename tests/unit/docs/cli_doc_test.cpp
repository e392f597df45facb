// docs/cli.md documents every command and every flag that the built binary's --help
// shows: a command has a "### " heading naming it (`cmd`), and each of its flags, short
// and long, appears in that section; the global flags appear under "## Global flags".
// A new flag without a line in the docs fails here.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/testing.hpp"

using stack::testing::run;

namespace {

std::string cli_md() {
  std::ifstream in(stack::testing::source_dir() + "/docs/cli.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string help(const std::string& args) {
  auto r = run(stack::testing::stack_binary() + " " + args + " --help", false);
  REQUIRE(r.status == 0);
  return r.out;
}

// The first words of the lines of a --help section ("Options:", "Subcommands:").
std::vector<std::string> section_words(const std::string& text, const std::string& title) {
  std::vector<std::string> out;
  std::istringstream in(text);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == title) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty() || line[0] != ' ') break;
    std::istringstream words(line);
    std::string w;
    words >> w;
    if (!w.empty() && w[0] != '-' && w.back() == ',') w.pop_back();  // "ls, list": the name
    out.push_back(w);
  }
  return out;
}

// "-d,--detach" -> {"-d", "--detach"}; --help is left out.
std::vector<std::string> flags(const std::string& help_text) {
  std::vector<std::string> out;
  for (const auto& w : section_words(help_text, "Options:")) {
    std::istringstream parts(w);
    for (std::string f; std::getline(parts, f, ',');)
      if (f != "-h" && f != "--help" && !f.empty() && f[0] == '-') out.push_back(f);
  }
  return out;
}

// The text of the "### " section whose heading names `cmd` (up to the next heading).
std::string command_section(const std::string& doc, const std::string& cmd) {
  std::istringstream in(doc);
  std::string out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    bool heading = line.rfind("#", 0) == 0;
    if (heading) inside = line.rfind("### ", 0) == 0 && line.find("`" + cmd + "`") != std::string::npos;
    if (inside) out += line + "\n";
  }
  return out;
}

std::string global_section(const std::string& doc) {
  auto a = doc.find("## Global flags");
  if (a == std::string::npos) return "";
  return doc.substr(a, doc.find("\n## ", a + 1) - a);
}

bool mentions(const std::string& text, const std::string& flag) {
  std::regex re("(^|[^A-Za-z0-9-])" + flag + "($|[^A-Za-z0-9-])");
  return std::regex_search(text, re);
}

}  // namespace

TEST_CASE("docs/cli.md names every command and flag of --help", "[docs]") {
  std::string doc = cli_md();
  REQUIRE(!doc.empty());
  std::string top = help("");
  auto globals = global_section(doc);
  for (const auto& f : flags(top)) {
    INFO("global flag " << f);
    CHECK(mentions(globals, f));
  }
  auto commands = section_words(top, "Subcommands:");
  REQUIRE(commands.size() > 10);
  for (const auto& cmd : commands) {
    std::string section = command_section(doc, cmd);
    INFO("command " << cmd);
    CHECK(!section.empty());
    std::string text = help(cmd);
    for (const auto& f : flags(text)) {
      INFO("flag " << f);
      CHECK(mentions(section, f));
    }
    for (const auto& sub : section_words(text, "Subcommands:")) {
      INFO("subcommand " << cmd << " " << sub);
      CHECK(mentions(section, sub));
      for (const auto& f : flags(help(cmd + " " + sub))) {
        INFO("flag " << f);
        CHECK(mentions(section, f));
      }
    }
  }
}
