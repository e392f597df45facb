#pragma once
// Idmapped image layers (mount_setattr(2) MOUNT_ATTR_IDMAP) for a container with its own
// user namespace: the image's files, owned by host root, then appear owned by the
// container's root, without copying or chowning a shared layer. overlayfs takes idmapped
// mounts as layers since Linux 5.19, but only attached ones on the kernels we support
// (clone_private_mount() refuses a detached tree before 6.x): each layer is attached on a
// staging dir, the overlay mounted from those, and the staging mounts detached again
// (the overlay keeps its own private clones).
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/state/journal.hpp"

namespace stack::engine::runtime {

class StagedLayers {
 public:
  // Attaches an idmapped clone of each layer on <staging>/<i> (journaled first).
  static Result<StagedLayers> make(state::Journal& journal, const std::vector<std::string>& layers, int userns_fd,
                                   const std::string& staging);
  StagedLayers(StagedLayers&&) = default;
  // The staging dirs, in the order of the layers.
  const std::vector<std::string>& paths() const { return paths_; }
  // Detaches the staging mounts and removes their dirs; safe once the overlay is mounted.
  Result<void> unstage();

 private:
  explicit StagedLayers(state::Journal& journal) : journal_(&journal) {}
  state::Journal* journal_;
  std::string staging_;
  uint64_t staging_record_ = 0;
  std::vector<std::string> paths_;
  std::vector<uint64_t> records_;  // one per staging mount
};

}  // namespace stack::engine::runtime
