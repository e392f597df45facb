#include "cmd/service_blkio.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace stack::cli {
namespace {

Result<std::vector<cgroup::DeviceValue>> devices(const model::Service& s, const char* key,
                                                 const std::vector<model::BlkioDevice>& list) {
  std::vector<cgroup::DeviceValue> out;
  for (const auto& d : list) {
    std::string what = "service " + s.name + ": blkio_config." + key + ": '" + d.path + "'";
    struct stat st{};
    if (::stat(d.path.c_str(), &st) != 0) return fail_errno(what);
    if (!S_ISBLK(st.st_mode)) return fail(what + ": not a block device");
    out.push_back({major(st.st_rdev), minor(st.st_rdev), static_cast<uint64_t>(d.value)});
  }
  return out;
}

}  // namespace

Result<cgroup::BlkioLimits> blkio_limits(const model::Service& s) {
  cgroup::BlkioLimits b;
  if (!s.blkio_config) return b;
  const model::BlkioConfig& c = *s.blkio_config;
  if (c.weight) b.weight = static_cast<uint16_t>(*c.weight);
  auto wd = devices(s, "weight_device", c.weight_device);
  if (!wd) return unexpected(wd.error());
  auto rb = devices(s, "device_read_bps", c.device_read_bps);
  if (!rb) return unexpected(rb.error());
  auto wb = devices(s, "device_write_bps", c.device_write_bps);
  if (!wb) return unexpected(wb.error());
  auto ri = devices(s, "device_read_iops", c.device_read_iops);
  if (!ri) return unexpected(ri.error());
  auto wi = devices(s, "device_write_iops", c.device_write_iops);
  if (!wi) return unexpected(wi.error());
  b.weight_device = std::move(*wd);
  b.read_bps = std::move(*rb);
  b.write_bps = std::move(*wb);
  b.read_iops = std::move(*ri);
  b.write_iops = std::move(*wi);
  return b;
}

}  // namespace stack::cli
