#include "cmd/supervisor_health.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "engine/runtime/exec.hpp"
#include "engine/supervisor/exec_target.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;
namespace rt = stack::engine::runtime;

std::optional<ServiceHealth> service_health(const model::Service& s) {
  if (!s.healthcheck || s.healthcheck->disable) return std::nullopt;
  const auto& h = *s.healthcheck;
  auto argv = sv::probe_argv(h.test);
  if (!argv) return std::nullopt;
  return ServiceHealth{sv::health_spec(h.interval_ns, h.timeout_ns, h.start_period_ns, h.start_interval_ns, h.retries),
                       std::move(*argv)};
}

sv::ProbeLauncher exec_probe(const sv::ContainerRunner& runner, int cgroup_fd, std::vector<std::string> join,
                             std::string name, std::vector<std::string> argv) {
  return [&runner, cgroup_fd, join = std::move(join), name = std::move(name),
          argv = std::move(argv)]() -> Result<sv::Probe> {
    const rt::Container* c = runner.current();
    if (!c) return fail("container " + name + " is not running");
    auto target = sv::exec_target(*c, cgroup_fd, join, name);
    if (!target) return unexpected(target.error());
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("failed to create the pipe of a healthcheck of " + name);
    UniqueFd out_r(p[0]), out_w(p[1]);
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) return fail_errno("failed to open /dev/null");
    rt::ExecOptions o;
    o.args = argv;
    o.stdio = {devnull.get(), out_w.get(), out_w.get()};
    auto proc = rt::exec_in(*target, o);
    if (!proc) return unexpected(proc.error());
    pid_t pid = proc->pid();
    return sv::Probe{pid, proc->release(), std::move(out_r)};
  };
}

}  // namespace stack::cli
