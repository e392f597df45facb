// `stack image import|ls|rm|inspect`: the local image store (engine/image/store.hpp).
// Output follows `docker image ls`: the same columns, and `--format json` as one JSON
// object per line with docker's keys.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "cmd/registry.hpp"
#include "cmd/sibling.hpp"
#include "engine/image/store.hpp"

namespace {

using stack::image::Image;
using stack::image::ImageStore;

// go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits.
std::string human_size(double size) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int i = 0;
  while (size >= 1000 && i < 5) size /= 1000, ++i;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", size, kUnits[i]);
  return buf;
}

// go-units HumanDuration, as `docker image ls` prints CREATED.
std::string human_duration(int64_t s) {
  auto n = [](int64_t v, const char* unit) { return std::to_string(v) + " " + unit; };
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return n(s, "seconds");
  int64_t m = s / 60, h = m / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return n(m, "minutes");
  if (h == 1) return "About an hour";
  if (h < 48) return n(h, "hours");
  if (h < 24 * 7 * 2) return n(h / 24, "days");
  if (h < 24 * 30 * 2) return n(h / 24 / 7, "weeks");
  if (h < 24 * 365 * 2) return n(h / 24 / 30, "months");
  return n(h / 24 / 365, "years");
}

// RFC 3339 ("2026-11-24T10:51:15Z", fractions and offsets allowed) to Unix time.
bool parse_time(const std::string& s, time_t& out) {
  struct tm tm {};
  const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return false;
  out = ::timegm(&tm);
  if (*rest == '.')
    while (*++rest >= '0' && *rest <= '9') {}
  int sign = *rest == '+' ? -1 : *rest == '-' ? 1 : 0;
  int hh = 0, mm = 0;
  if (sign && std::sscanf(rest + 1, "%d:%d", &hh, &mm) == 2) out += sign * (hh * 3600 + mm * 60);
  return true;
}

std::string short_id(const std::string& id) { return id.substr(id.find(':') + 1, 12); }

struct Row {
  std::string repo, tag, id, created_since, created_at, size;
};

Row row_of(const Image& img) {
  Row r{img.name, img.tag, short_id(img.id), "N/A", img.created, human_size(double(img.size))};
  time_t t;
  if (parse_time(img.created, t)) {
    r.created_since = human_duration(int64_t(::time(nullptr) - t)) + " ago";
    char buf[64];
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    r.created_at = buf;
  }
  return r;
}

void print_table(const std::vector<Row>& rows) {
  std::vector<std::array<std::string, 5>> cells{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  for (const auto& r : rows) cells.push_back({r.repo, r.tag, r.id, r.created_since, r.size});
  std::array<size_t, 5> w{};
  for (const auto& c : cells)
    for (size_t i = 0; i < 5; ++i) w[i] = std::max(w[i], c[i].size());
  for (const auto& c : cells) {
    std::string line;
    for (size_t i = 0; i < 5; ++i) line += i == 4 ? c[i] : c[i] + std::string(w[i] - c[i].size() + 3, ' ');
    std::printf("%s\n", line.c_str());
  }
}

void print_json(const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    nlohmann::json j{{"Containers", "N/A"}, {"CreatedAt", r.created_at}, {"CreatedSince", r.created_since},
                     {"Digest", "<none>"}, {"ID", r.id},                 {"Repository", r.repo},
                     {"SharedSize", "N/A"}, {"Size", r.size},            {"Tag", r.tag},
                     {"UniqueSize", "N/A"}, {"VirtualSize", r.size}};
    std::printf("%s\n", j.dump().c_str());
  }
}

struct Options {
  std::string ref, path, format, filter;
  std::vector<std::string> refs;
  bool quiet = false;
};

// The importer is a program of its own (cmd/import/main.cpp), next to this binary: exec'd
// with the same arguments, so its output and exit code are the command's.
int run_import(const stack::cli::Globals& g, const Options& o) {
  auto found = stack::cli::sibling_program("stack-import");
  if (!found) return stack::cli::report("image import: " + found.error().message);
  const std::string& helper = *found;
  std::vector<std::string> args{"stack-import", "--root", g.root};
  if (g.debug) args.push_back("--debug");
  args.insert(args.end(), {"--", o.ref, o.path});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(helper.c_str(), argv.data());
  return stack::cli::report("image import: cannot run the importer '" + helper + "' (it is installed next to " +
                            "the stack binary): " + std::strerror(errno));
}

int run_ls(const ImageStore& store, const Options& o) {
  auto images = store.list();
  if (!images) return stack::cli::report(images.error().message);
  std::vector<Row> rows;
  for (const auto& img : *images) {
    if (!o.filter.empty() && o.filter != img.name && o.filter != img.ref()) continue;
    rows.push_back(row_of(img));
  }
  if (o.quiet) {
    for (const auto& r : rows) std::printf("%s\n", r.id.c_str());
  } else if (o.format == "json" || o.format == "{{json .}}") {
    print_json(rows);
  } else if (o.format.empty() || o.format == "table") {
    print_table(rows);
  } else {
    std::fprintf(stderr, "stack: unknown --format '%s' (table or json)\n", o.format.c_str());
    return 2;
  }
  return 0;
}

int run_rm(ImageStore& store, const Options& o) {
  int rc = 0;
  for (const auto& ref : o.refs) {
    auto r = store.remove(ref);
    if (!r) {
      rc = stack::cli::report(r.error().message);
      continue;
    }
    std::printf("Untagged: %s\n", ref.c_str());
  }
  return rc;
}

int run_inspect(const ImageStore& store, const Options& o) {
  auto img = store.resolve(o.ref);
  if (!img) return stack::cli::report(img.error().message);
  const auto& c = img->config;
  nlohmann::json j{{"Id", img->id},         {"RepoTags", {img->ref()}}, {"Created", img->created},
                   {"Size", img->size},     {"Layers", img->layers},
                   {"Config", {{"Env", c.env}, {"Entrypoint", c.entrypoint}, {"Cmd", c.cmd},
                               {"WorkingDir", c.working_dir}, {"User", c.user},
                               {"ExposedPorts", c.exposed_ports}}}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

stack::cli::Registrar reg("image", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto* image = app.add_subcommand("image", "Manage the local image store");
  image->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* imp = image->add_subcommand("import", "Import a rootfs dir or tarball, an OCI layout or a docker save archive");
  imp->add_option("name", o->ref, "NAME[:TAG]")->required();
  imp->add_option("path", o->path, "Directory or archive to import")->required();
  auto* ls = image->add_subcommand("ls", "List images");
  ls->alias("list");
  ls->add_option("repository", o->filter, "Only this REPOSITORY[:TAG]");
  ls->add_option("--format", o->format, "table (default) or json");
  ls->add_flag("-q,--quiet", o->quiet, "Only image IDs");
  auto* rm = image->add_subcommand("rm", "Remove images (tags; unused layers go too)");
  rm->alias("remove");
  rm->add_option("images", o->refs, "NAME[:TAG] ...")->required();
  auto* inspect = image->add_subcommand("inspect", "Show an image's config and layers as JSON");
  inspect->add_option("name", o->ref, "NAME[:TAG]")->required();
  return [&g, o, imp, ls, rm, inspect]() -> int {
    if (imp->parsed()) return run_import(g, *o);
    auto store = ImageStore::open(g.root);
    if (!store) return stack::cli::report(store.error().message);
    if (ls->parsed()) return run_ls(*store, *o);
    if (rm->parsed()) return run_rm(*store, *o);
    if (inspect->parsed()) return run_inspect(*store, *o);
    return 2;
  };
});

}  // namespace
