#pragma once
// A container's directory, <root>/containers/<id>/, and the host-side objects in it:
// upper/ and work/ for overlayfs, rootfs/ where the overlay is mounted, the /etc files
// and the teardown journal. Every dir, file and mount is journaled before it is made
// (style rule 7); cleanup.hpp undoes them.
#include <string>

#include "engine/base/result.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/spec.hpp"
#include "engine/state/journal.hpp"

namespace stack::engine::runtime {

struct ContainerPaths {
  std::string dir;
  std::string upper;
  std::string work;
  std::string rootfs;
  std::string journal;
  std::string layers;  // staging dir of idmapped layers (user namespace only)
  EtcPaths etc;
};

ContainerPaths container_paths(const std::string& state_root, const std::string& id);

// "lowerdir=<top>:...:<bottom>,upperdir=...,workdir=..." (overlayfs.rst: the first
// lowerdir is the topmost layer; spec layers are lowest first).
Result<std::string> overlay_options(const Root& root, const ContainerPaths& paths);

// A container with its own user namespace: the layers are idmapped through userns_fd
// (idmap_layers.hpp) and upper/ - the rootfs's "/" - belongs to the container's root.
struct RootIdmap {
  int userns_fd = -1;
  uid_t uid = 0;  // host ids of the container's root
  gid_t gid = 0;
};

// Makes upper/, work/ and rootfs/ and mounts the overlay on rootfs/ (in the host's
// mount namespace, so host tools and remove() see it).
Result<void> make_rootfs(state::Journal& journal, const Root& root, const ContainerPaths& paths,
                         const RootIdmap* idmap = nullptr);

// Writes hosts, hostname and resolv.conf for the bind mounts over /etc.
Result<void> write_etc_files(state::Journal& journal, const Spec& spec, const ContainerPaths& paths);

}  // namespace stack::engine::runtime
