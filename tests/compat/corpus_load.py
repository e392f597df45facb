#!/usr/bin/env python3
"""Loads every compose file of the corpus with `stack config` (issue 2, "Checks").

Each file must load (exit 0, JSON with services on stdout) or fail with exit 1 and an
error naming the file, a line and the reason. A crash, a hang, another exit status or
an error without file:line fails the test. Files that are invalid on purpose are listed
below with the reason they must fail; such a file that loads fails the test too.

usage: corpus_load.py STACK_BINARY [CORPUS_DIR]   (env STACK_COMPOSE_CORPUS overrides)
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
from compat_common import (corpus_files, first_line, is_compose_file, locate_corpus,
                           parse_json, rel, stack_config)

# path relative to the corpus -> (regex the error must match, why the file is invalid)
INTENDED_FAILURES = {
    "compose-go-testdata/compose-depends-on-cycle.yaml":
        (r"cycle", "depends_on cycle service1 -> service2 -> service3 -> service1"),
    "compose-go-testdata/compose-depends-on-profile-no-cycle.yaml":
        (r"cycle", "despite its name this copy has no profiles: the same cycle as above"),
    "compose-go-testdata/compose-depends-on-self.yaml":
        (r"cycle|itself", "service1 depends on itself"),
    "compose-go-testdata/compose-include-cycle.yaml":
        (r"include", "includes itself (and include is not supported)"),
    "compose-go-testdata/empty.yaml":
        (r"empty|no services|services", "a comment only: no services"),
    "docker-compose-e2e/env_file/compose.yaml":
        (r"/doesnotexist/\.env", "serviceB's env_file /doesnotexist/.env does not exist"),
    "docker-compose-e2e/logs-test/cat.yaml":
        (r"empty volume source", "needs FILE from its e2e test; unset, the bind source is empty"),
    "docker-compose-e2e/wrong-composefile/compose.yaml":
        (r"wrongField", "unknown key services.simple.wrongField"),
}


def clear_error(path, err):
    """An error is clear when it names the file with a line and says something more."""
    text = err.decode("utf-8", "replace")
    base = re.escape(os.path.basename(path))
    return re.search(base + r":\d+(:\d+)?:\s*\S", text) is not None


def check(corpus, stack, path):
    """Returns (kind, message): kind in load, reject, intended, not-compose, problem."""
    name = rel(corpus, path)
    out = stack_config(stack, path)
    err = first_line(out.err)
    if out.crashed:
        what = "timed out" if out.timed_out else f"exit status {out.status}"
        return "problem", f"{what}: {err}"
    expected = INTENDED_FAILURES.get(name)
    compose = is_compose_file(path)
    if out.status == 0:
        doc = parse_json(out)
        if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
            return "problem", "exit 0 but stdout is not a project JSON with services"
        if expected or not compose:
            return "problem", "loaded, but the file is invalid: " + (
                expected[1] if expected else "not a compose file")
        return "load", f"{len(doc['services'])} services"
    if not clear_error(path, out.err):
        return "problem", f"error does not name {os.path.basename(path)}:LINE: {err!r}"
    if expected:
        if not re.search(expected[0], out.err.decode("utf-8", "replace")):
            return "problem", f"fails, but not for the intended reason ({expected[1]}): {err}"
        return "intended", err
    return ("reject" if compose else "not-compose"), err


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(sys.argv[1])  # each run changes into the file's dir
    corpus = locate_corpus(sys.argv[2] if len(sys.argv) > 2 else None)
    files = corpus_files(corpus)
    missing = [k for k in INTENDED_FAILURES if not os.path.exists(os.path.join(corpus, k))]
    results = {}
    for path in files:
        kind, message = check(corpus, stack, path)
        results.setdefault(kind, []).append((rel(corpus, path), message))
        print(f"{kind:11} {rel(corpus, path)}: {message}")
    compose_files = sum(1 for p in files if is_compose_file(p))
    print()
    print(f"corpus: {len(files)} YAML files, {compose_files} compose files")
    for kind in ("load", "reject", "intended", "not-compose", "problem"):
        print(f"  {kind:11} {len(results.get(kind, []))}")
    print(f"LOADED {len(results.get('load', []))} of {compose_files} compose files")
    for name in missing:
        print(f"problem: intended failure {name} is not in the corpus")
    problems = results.get("problem", [])
    for name, message in problems:
        print(f"PROBLEM {name}: {message}")
    return 1 if problems or missing else 0


if __name__ == "__main__":
    sys.exit(main())
