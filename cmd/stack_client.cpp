#include "cmd/stack_client.hpp"

#include "cmd/up_common.hpp"

namespace stack::cli {

Result<supervisor::ControlClient> connect_stack(const Globals& g) {
  auto name = project_name(g);
  if (!name) return unexpected(name.error());
  auto layout = stack_layout(g, *name);
  if (!layout) return unexpected(layout.error());
  auto c = supervisor::ControlClient::connect(layout->control_socket());
  if (!c) return fail("no such stack: " + *name + " (no supervisor runs for it)");
  return c;
}

}  // namespace stack::cli
