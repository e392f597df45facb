#include "engine/runtime/rootfs.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "engine/base/file.hpp"
#include "engine/runtime/idmap_layers.hpp"

namespace stack::engine::runtime {
namespace {

Result<void> make_dir(state::Journal& journal, const std::string& path, mode_t mode) {
  STACK_TRY(journal.add("dir", {{"path", path}}));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("making directory " + path);
  return {};
}

Result<void> write_file(state::Journal& journal, const std::string& path, const std::string& content) {
  STACK_TRY(journal.add("file", {{"path", path}}));
  return write_file_atomic(path, content, 0644, Durability::kProcessCrash);
}

}  // namespace

ContainerPaths container_paths(const std::string& state_root, const std::string& id) {
  ContainerPaths p;
  p.dir = state_root + "/containers/" + id;
  p.upper = p.dir + "/upper";
  p.work = p.dir + "/work";
  p.rootfs = p.dir + "/rootfs";
  p.journal = p.dir + "/journal";
  p.layers = p.dir + "/layers";
  p.etc = {p.dir + "/hosts", p.dir + "/hostname", p.dir + "/resolv.conf"};
  return p;
}

Result<std::string> overlay_options(const Root& root, const ContainerPaths& paths) {
  if (root.layers.empty()) return fail("the image has no layers");
  std::string lower;
  for (auto it = root.layers.rbegin(); it != root.layers.rend(); ++it) {
    // overlayfs splits lowerdir at ':' and the option string at ','.
    if (it->empty() || (*it)[0] != '/' || it->find_first_of(":,") != std::string::npos)
      return fail("layer directory '" + *it + "' is not an absolute path without ':' or ','");
    if (!lower.empty()) lower += ":";
    lower += *it;
  }
  std::string opts = "lowerdir=" + lower + ",upperdir=" + paths.upper + ",workdir=" + paths.work;
  // mount(2) passes data in one page.
  if (opts.size() >= 4096)
    return fail("the overlay options for " + std::to_string(root.layers.size()) + " layers exceed a page");
  return opts;
}

Result<void> make_rootfs(state::Journal& journal, const Root& root, const ContainerPaths& paths,
                         const RootIdmap* idmap) {
  STACK_TRY(overlay_options(root, paths));
  for (const auto& layer : root.layers) {
    struct stat st {};
    if (::stat(layer.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return fail_errno("image layer " + layer);
  }
  STACK_TRY(make_dir(journal, paths.upper, 0755));
  STACK_TRY(make_dir(journal, paths.work, 0700));
  STACK_TRY(make_dir(journal, paths.rootfs, 0755));
  Root lower = root;
  std::optional<StagedLayers> staged;
  if (idmap) {
    auto s = StagedLayers::make(journal, root.layers, idmap->userns_fd, paths.layers);
    if (!s) return unexpected(s.error());
    staged.emplace(std::move(*s));
    lower.layers = staged->paths();
    if (::chown(paths.upper.c_str(), idmap->uid, idmap->gid) != 0) return fail_errno("chown " + paths.upper);
  }
  auto opts = overlay_options(lower, paths);
  if (!opts) return unexpected(opts.error());
  STACK_TRY(journal.add("mount", {{"target", paths.rootfs}}));
  // "volatile" (Linux 5.10, overlayfs.rst) skips the sync of the upper filesystem on
  // umount and every fsync inside the container: the upper dir is thrown away when the
  // container is removed, so a flush of it protects nothing and cost most of a short
  // container's run time. Were an upper ever kept and remounted, work/incompat/volatile
  // would have to be removed first (overlay refuses it otherwise). Older kernels: EINVAL.
  std::string fast = *opts + ",volatile";
  bool mounted = ::mount("overlay", paths.rootfs.c_str(), "overlay", MS_NODEV, fast.c_str()) == 0;
  if (!mounted && errno == EINVAL)
    mounted = ::mount("overlay", paths.rootfs.c_str(), "overlay", MS_NODEV, opts->c_str()) == 0;
  if (!mounted) {
    if (idmap && errno == EINVAL)
      return fail_errno("failed to mount overlay with idmapped layers on '" + paths.rootfs +
                        "' (overlayfs takes idmapped layers since Linux 5.19)");
    return fail_errno("failed to mount overlay on '" + paths.rootfs + "'");
  }
  if (staged) STACK_TRY_CTX(staged->unstage(), "after mounting the rootfs");
  return {};
}

Result<void> write_etc_files(state::Journal& journal, const Spec& spec, const ContainerPaths& paths) {
  STACK_TRY_CTX(write_file(journal, paths.etc.hosts, spec.etc.hosts), "writing " + paths.etc.hosts);
  STACK_TRY_CTX(write_file(journal, paths.etc.hostname, spec.hostname + "\n"), "writing " + paths.etc.hostname);
  STACK_TRY_CTX(write_file(journal, paths.etc.resolv_conf, spec.etc.resolv_conf), "writing " + paths.etc.resolv_conf);
  return {};
}

}  // namespace stack::engine::runtime
