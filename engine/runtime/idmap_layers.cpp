#include "engine/runtime/idmap_layers.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/unique_fd.hpp"
#include "engine/runtime/cleanup.hpp"

namespace stack::engine::runtime {
namespace {

Result<UniqueFd> idmapped_clone(const std::string& layer, int userns_fd) {
  UniqueFd tree(::open_tree(AT_FDCWD, layer.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) {
    if (errno == ENOSYS) return fail_errno("open_tree of image layer " + layer + " (needs Linux 5.2+ for a user namespace)");
    return fail_errno("open_tree of image layer " + layer);
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    int err = errno;
    if (err == ENOSYS || err == EINVAL)
      return fail_errno(err, "idmapping image layer " + layer +
                                 ": this kernel or the layer's filesystem has no idmapped mounts (Linux 5.12+; tmpfs "
                                 "6.3+), which a user namespace needs to show the image owned by the container's root");
    return fail_errno(err, "idmapping image layer " + layer);
  }
  return tree;
}

}  // namespace

Result<StagedLayers> StagedLayers::make(state::Journal& journal, const std::vector<std::string>& layers,
                                        int userns_fd, const std::string& staging) {
  StagedLayers s(journal);
  auto dir_rec = journal.add("dir", {{"path", staging}});
  if (!dir_rec) return unexpected(dir_rec.error());
  s.staging_ = staging;
  s.staging_record_ = *dir_rec;
  if (::mkdir(staging.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("making directory " + staging);
  for (size_t i = 0; i < layers.size(); ++i) {
    auto tree = idmapped_clone(layers[i], userns_fd);
    if (!tree) return unexpected(tree.error());
    std::string target = staging + "/" + std::to_string(i);
    if (::mkdir(target.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("making directory " + target);
    auto rec = journal.add("mount", {{"target", target}});
    if (!rec) return unexpected(rec.error());
    if (::move_mount(tree->get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
      return fail_errno("attaching the idmapped layer " + layers[i] + " on " + target);
    s.paths_.push_back(target);
    s.records_.push_back(*rec);
  }
  return s;
}

Result<void> StagedLayers::unstage() {
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (::umount2(paths_[i].c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      return fail_errno("detaching the staged layer " + paths_[i]);
    STACK_TRY(journal_->done(records_[i]));
  }
  paths_.clear();
  if (staging_.empty()) return {};
  auto removed = remove_tree(staging_);
  if (!removed) return unexpected(removed.error());
  STACK_TRY(journal_->done(staging_record_));
  staging_.clear();
  return {};
}

}  // namespace stack::engine::runtime
