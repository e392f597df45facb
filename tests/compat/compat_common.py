"""Shared by the compat tests: where the compose corpus is, which files it holds, and
how to run `stack config` on one of them the same way for every test."""
import json
import os
import subprocess
import sys

SKIP = 77  # ctest SKIP_RETURN_CODE
FOLDERS = ("awesome-compose", "compose-go-testdata", "docker-compose-e2e")
TIMEOUT = 30  # seconds per file; the loader must never hang

# Not compose files: the e2e fixtures keep the Kubernetes manifests that `compose bridge`
# is expected to generate next to the compose file they come from.
NOT_COMPOSE = ("/expected-helm/", "/expected-kubernetes/")


def corpus_files(corpus):
    """Every .yml/.yaml under the three corpus folders, sorted, as absolute paths."""
    found = []
    for folder in FOLDERS:
        top = os.path.join(corpus, folder)
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yml", ".yaml")):
                    found.append(os.path.join(root, name))
    return found


def rel(corpus, path):
    return os.path.relpath(path, corpus)


def is_compose_file(path):
    return not any(part in path for part in NOT_COMPOSE)


def clean_env():
    """The same small environment for stack and docker-compose: no host variable may
    change how a file interpolates."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}


class Outcome:
    def __init__(self, status, out, err, timed_out=False):
        self.status, self.out, self.err, self.timed_out = status, out, err, timed_out

    @property
    def crashed(self):
        return self.timed_out or self.status < 0 or self.status not in (0, 1)


def run(argv, cwd):
    try:
        p = subprocess.run(argv, cwd=cwd, env=clean_env(), capture_output=True,
                           timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:
        return Outcome(-1, e.stdout or b"", e.stderr or b"", timed_out=True)
    return Outcome(p.returncode, p.stdout, p.stderr)


def stack_config(stack, path):
    """`stack -f FILE --project-directory DIR config --format json`, run in the file's
    own directory so that .env, env_file and relative paths resolve as for a user."""
    d = os.path.dirname(path)
    return run([stack, "-f", path, "--project-directory", d, "config", "--format", "json"], d)


def parse_json(outcome):
    try:
        return json.loads(outcome.out.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def locate_corpus(argv_value):
    corpus = os.environ.get("STACK_COMPOSE_CORPUS") or argv_value
    if not corpus or not os.path.isdir(corpus):
        print(f"SKIPPED: compose corpus not found at {corpus!r} "
              "(set STACK_COMPOSE_CORPUS or -DSTACK_COMPOSE_CORPUS=...)", file=sys.stderr)
        sys.exit(SKIP)
    return os.path.abspath(corpus)


def first_line(data, limit=200):
    text = data.decode("utf-8", "replace").strip()
    line = text.splitlines()[0] if text else ""
    return line[:limit]
