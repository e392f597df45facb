// stack-import: the image importer, run by `stack image import` (an exec, same arguments
// and output). It is a program of its own so that libarchive and the libraries it loads
// (xml2, ICU, nettle, the compressors) are mapped only by the process that unpacks an
// image, not by every `stack` command and supervisor: ~2 ms of start and ~1.7 MB of RSS.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "engine/base/log.hpp"
#include "engine/image/store.hpp"

int main(int argc, char** argv) {
  CLI::App app{"stack-import: import a rootfs dir or tarball, an OCI layout or a docker save archive "
               "into stack's image store (what `stack image import` runs)",
               "stack-import"};
  std::string root = "/var/lib/stack", ref, path;
  bool debug = false;
  app.add_option("--root", root, "Persistent state directory")->capture_default_str();
  app.add_flag("--debug", debug, "Print debug detail");
  app.add_option("name", ref, "NAME[:TAG]")->required();
  app.add_option("path", path, "Directory or archive to import")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  stack::log::init(debug);
  auto store = stack::image::ImageStore::open(root);
  if (!store) {
    std::fprintf(stderr, "stack: %s\n", store.error().message.c_str());
    return 1;
  }
  auto img = store->import(ref, path);
  if (!img) {
    std::fprintf(stderr, "stack: %s\n", img.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", img->id.c_str());
  return 0;
}
