// `stack image ...` through the built binary, and imports racing each other.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>

#include "tests/integration/image/image_fixture.hpp"

using namespace stack::image::test;
using stack::testing::run;
using stack::testing::stack_binary;

namespace {
std::string cli(const Sandbox& sb) { return stack_binary() + " --root '" + sb.root() + "' "; }

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}
}  // namespace

TEST_CASE("stack image import, ls, inspect and rm") {
  stack::testing::require_root();
  Sandbox sb;
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  auto imp = run(cli(sb) + "image import busybox:1 '" + rootfs + "'", false);
  REQUIRE(imp.status == 0);
  CHECK(imp.out.rfind("sha256:", 0) == 0);
  CHECK(imp.out.size() == 7 + 64 + 1);
  REQUIRE(run(cli(sb) + "image import localhost:5000/x/y:z '" + rootfs + "'").status == 0);

  auto table = run(cli(sb) + "image ls", false);
  REQUIRE(table.status == 0);
  INFO(table.out);
  CHECK(table.out.rfind("REPOSITORY", 0) == 0);
  CHECK(table.out.find("IMAGE ID") != std::string::npos);
  CHECK(table.out.find("busybox ") != std::string::npos);
  CHECK(table.out.find(imp.out.substr(7, 12)) != std::string::npos);
  CHECK(table.out.find("MB") != std::string::npos);

  auto js = run(cli(sb) + "image ls --format json", false);
  REQUIRE(js.status == 0);
  auto rows = json_lines(js.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["Repository"] == "busybox");
  CHECK(rows[0]["Tag"] == "1");
  CHECK(rows[0]["ID"] == imp.out.substr(7, 12));
  CHECK(rows[1]["Repository"] == "localhost:5000/x/y");
  CHECK(rows[1]["Tag"] == "z");
  CHECK(rows[0]["Size"].get<std::string>().find("MB") != std::string::npos);
  CHECK(rows[0]["CreatedSince"].get<std::string>().find("ago") != std::string::npos);

  auto quiet = run(cli(sb) + "image ls -q busybox", false);
  CHECK(quiet.out == imp.out.substr(7, 12) + "\n");

  auto inspect = run(cli(sb) + "image inspect busybox:1", false);
  REQUIRE(inspect.status == 0);
  auto ij = nlohmann::json::parse(inspect.out);
  CHECK(ij["Id"] == imp.out.substr(0, 71));
  CHECK(ij["Layers"].size() == 1);

  auto rm = run(cli(sb) + "image rm busybox:1 localhost:5000/x/y:z", false);
  CHECK(rm.status == 0);
  CHECK(rm.out == "Untagged: busybox:1\nUntagged: localhost:5000/x/y:z\n");
  CHECK(entries(sb.images() + "/layers").empty());
  CHECK(run(cli(sb) + "image ls --format json", false).out.empty());
}

TEST_CASE("stack image errors: one line, exit 1; usage errors exit 2") {
  Sandbox sb;
  auto missing = run(cli(sb) + "image rm busybox:1");
  CHECK(missing.status == 1);
  CHECK(missing.out == "stack: image busybox:1 not found in " + sb.root() +
                           "; import it with: stack image import busybox:1 PATH\n");
  auto inspect = run(cli(sb) + "image inspect web");
  CHECK(inspect.status == 1);
  CHECK(inspect.out.find("import it with: stack image import web:latest PATH") != std::string::npos);
  auto bad = run(cli(sb) + "image import Bad:1 /nonexistent");
  CHECK(bad.status == 1);
  CHECK(bad.out.find("invalid image reference 'Bad:1'") != std::string::npos);
  auto nopath = run(cli(sb) + "image import x:1 " + sb.dir() + "/nope");
  CHECK(nopath.status == 1);
  CHECK(nopath.out.find("No such file or directory") != std::string::npos);
  CHECK(run(cli(sb) + "image import x:1").status == 2);
  CHECK(run(cli(sb) + "image").status == 2);
  CHECK(run(cli(sb) + "image ls --format yaml").status == 2);
}

TEST_CASE("concurrent imports of one layer leave one intact layer dir") {
  stack::testing::require_root();
  Sandbox sb;
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  std::string tar = sb.dir() + "/r.tar.gz";
  REQUIRE(run("tar -C '" + rootfs + "' -czf '" + tar + "' .").status == 0);
  std::string script;
  for (int i = 0; i < 6; ++i)
    script += cli(sb) + "image import race:" + std::to_string(i) + " '" + tar + "' > /dev/null & pids=\"$pids $!\"; ";
  // Waits for each child by pid, so that every exit status counts.
  const std::string wait_all = "rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc";
  auto r = run("pids=''; " + script + wait_all);
  INFO(r.out);
  CHECK(r.status == 0);
  auto rows = json_lines(run(cli(sb) + "image ls --format json", false).out);
  CHECK(rows.size() == 6);
  auto layers = entries(sb.images() + "/layers");
  REQUIRE(layers.size() == 1);
  CHECK(tree_listing(sb.images() + "/layers/" + layers[0]) == tree_listing(rootfs));
  CHECK(entries(sb.images() + "/tmp").empty());
  // An rm racing with imports of the same layer: the survivors stay complete.
  script.clear();
  for (int i = 0; i < 3; ++i)
    script += cli(sb) + "image import again:" + std::to_string(i) + " '" + tar + "' > /dev/null & pids=\"$pids $!\"; ";
  for (int i = 0; i < 6; ++i)
    script += cli(sb) + "image rm race:" + std::to_string(i) + " > /dev/null & pids=\"$pids $!\"; ";
  r = run("pids=''; " + script + wait_all);
  INFO(r.out);
  CHECK(r.status == 0);
  rows = json_lines(run(cli(sb) + "image ls --format json", false).out);
  CHECK(rows.size() == 3);
  layers = entries(sb.images() + "/layers");
  REQUIRE(layers.size() == 1);
  CHECK(tree_listing(sb.images() + "/layers/" + layers[0]) == tree_listing(rootfs));
}

TEST_CASE("stack image import runs the importer next to the binary; stack itself maps no libarchive") {
  stack::testing::require_root();
  Sandbox sb;
  // Only stack-import loads libarchive and its chain (xml2, ICU, nettle, compressors).
  auto libs = run("ldd " + stack_binary(), false);
  REQUIRE(libs.status == 0);
  CHECK(libs.out.find("libarchive") == std::string::npos);
  CHECK(libs.out.find("libicu") == std::string::npos);
  std::string importer = stack_binary().substr(0, stack_binary().find_last_of('/') + 1) + "stack-import";
  CHECK(run("ldd " + importer + " | grep -c libarchive", false).out == "1\n");

  // Its arguments, output and exit code are the command's, --debug passed on.
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  auto imp = run(cli(sb) + "--debug image import -- -dash:1 '" + rootfs + "'", true);
  INFO(imp.out);
  CHECK(imp.status == 1);  // the importer took --debug (else 2) and says why the name is bad
  CHECK(imp.out.find("-dash:1") != std::string::npos);
  auto bad = run(cli(sb) + "image import busybox:1 '" + sb.dir() + "/missing'", true);
  CHECK(bad.status == 1);
  CHECK(bad.out.find("cannot import '" + sb.dir() + "/missing'") != std::string::npos);

  // A stack binary without its importer says what is missing, and changes nothing.
  std::string lone = sb.dir() + "/bin";
  REQUIRE(run("mkdir -p " + lone + " && cp " + stack_binary() + " " + lone + "/stack").status == 0);
  auto alone = run(lone + "/stack --root '" + sb.root() + "' image import busybox:1 '" + rootfs + "'", true);
  CHECK(alone.status == 1);
  CHECK(alone.out == "stack: image import: cannot run the importer '" + lone +
                         "/stack-import' (it is installed next to the stack binary): No such file or directory\n");
  CHECK(run(cli(sb) + "image ls -q", false).out == "");

  // Nor does up without the supervisor program, and it leaves no stack directory behind.
  REQUIRE(run(cli(sb) + "image import busybox:1 '" + rootfs + "'").status == 0);
  std::ofstream(sb.dir() + "/stack.yaml") << "name: lone\nservices:\n  a:\n    image: busybox:1\n";
  std::string run_root = sb.dir() + "/run";
  auto up = run(lone + "/stack --root '" + sb.root() + "' --run-root '" + run_root + "' -f " + sb.dir() +
                "/stack.yaml up -d", true);
  INFO(up.out);
  CHECK(up.status == 1);
  CHECK(up.out.find("cannot run the supervisor program '" + lone + "/stack-supervisor'") != std::string::npos);
  CHECK(run("ls -A '" + run_root + "/stacks' 2>/dev/null").out == "");
}
