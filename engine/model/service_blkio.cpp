// blkio_config (compose-spec: weight, weight_device, device_read_bps, device_write_bps,
// device_read_iops, device_write_iops). Rates in bytes per second take compose's sizes
// ("1mb", 1048576); the device path is checked to be a block device at up, not here
// (`stack config` works on another machine).
#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

enum class Unit { kWeight, kBytes, kCount };

Result<int64_t> read_value(const Node& n, const std::string& path, Unit unit) {
  if (unit == Unit::kWeight) return read_int(n, path, 10, 1000);
  if (unit == Unit::kCount) return read_int(n, path, 1, INT64_MAX);
  auto v = read_size(n, path);
  if (v && *v <= 0) return fail_at(n, path, "must be a positive rate");
  return v;
}

Result<std::vector<BlkioDevice>> read_devices(const Node& n, const std::string& path, Unit unit) {
  if (!n.is_seq()) return fail_at(n, path, "must be a list of {path, " + std::string(unit == Unit::kWeight ? "weight" : "rate") + "}");
  const char* value_key = unit == Unit::kWeight ? "weight" : "rate";
  std::vector<BlkioDevice> out;
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    std::string ip = path + "[" + std::to_string(i) + "]";
    STACK_TRY(check_keys(item, ip, {"path", value_key}));
    const Node* p = item.find("path");
    const Node* v = item.find(value_key);
    if (!p || !v) return fail_at(item, ip, std::string("needs both path and ") + value_key);
    BlkioDevice d;
    STACK_ASSIGN(d.path, read_string(*p, join_path(ip, "path")));
    if (d.path.empty() || d.path[0] != '/') return fail_at(*p, join_path(ip, "path"), "must be an absolute device path");
    STACK_ASSIGN(d.value, read_value(*v, join_path(ip, value_key), unit));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Result<BlkioConfig> read_blkio_config(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"weight", "weight_device", "device_read_bps", "device_write_bps",
                                 "device_read_iops", "device_write_iops"}));
  BlkioConfig b;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    const std::string& k = e.key.text;
    if (k == "weight") STACK_ASSIGN(b.weight, read_value(e.value, kp, Unit::kWeight));
    if (k == "weight_device") STACK_ASSIGN(b.weight_device, read_devices(e.value, kp, Unit::kWeight));
    if (k == "device_read_bps") STACK_ASSIGN(b.device_read_bps, read_devices(e.value, kp, Unit::kBytes));
    if (k == "device_write_bps") STACK_ASSIGN(b.device_write_bps, read_devices(e.value, kp, Unit::kBytes));
    if (k == "device_read_iops") STACK_ASSIGN(b.device_read_iops, read_devices(e.value, kp, Unit::kCount));
    if (k == "device_write_iops") STACK_ASSIGN(b.device_write_iops, read_devices(e.value, kp, Unit::kCount));
  }
  return b;
}

}  // namespace stack::model
