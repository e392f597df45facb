#!/usr/bin/env python3
"""Differential test of `stack config` against Debian's docker-compose (v1.29).

For every corpus compose file (and fixtures/*.yaml) that `docker-compose config` accepts (it needs no daemon
for that) and stack loads, the services, images, commands, entrypoints, environment,
ports and depends_on must be equal once both outputs are brought to one shape. Known,
justified differences are listed below; any other difference fails the test, and so
does a listed difference that no longer occurs (the list must stay true).

usage: differential.py STACK_BINARY [CORPUS_DIR]   (env STACK_COMPOSE_CORPUS overrides)
"""
import os
import re
import shlex
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
from compat_common import (SKIP, corpus_files, first_line, is_compose_file, locate_corpus,
                           parse_json, rel, run, stack_config)

FIELDS = ("image", "command", "entrypoint", "environment", "ports", "depends_on")

# (file relative to the corpus, service, field) -> why stack rightly differs from v1.
KNOWN_DIFFERENCES = {
    ("docker-compose-e2e/network-test/compose.yaml", "mydb", "depends_on"):
        "network_mode: service:db implies depends_on db (service_started) in compose v2 "
        "(compose-go loader/normalize.go) and stack; v1's config does not add it",
    ("fixtures/commands.yaml", "backslash", "command"):
        "v1 splits with Python's shlex (POSIX: in double quotes a backslash escapes only "
        "\\ \" $ `), giving a\\b; compose v2 (go-shellwords) and stack drop it: ab",
    ("fixtures/environment.yaml", "mapped", "environment"):
        "v1.29 does not nest substitutions: ${NOT_SET:-${TAG}} stays the literal ${TAG}; "
        "compose v2 (compose-go) and stack give 1.25",
}


def v1_config(path):
    d = os.path.dirname(path)
    return run(["docker-compose", "-f", path, "--project-directory", d, "config"], d)


def words(value):
    """command/entrypoint as argv. v1 prints a string as written and splits it with
    shlex when it runs the container; compose v2 and stack split with shell rules."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as e:
            return f"<unsplittable: {e}>"
    return [str(v) for v in value]


def environment(value):
    if value is None:
        return {}
    if isinstance(value, list):  # both tools print maps; a list would be a bug
        return {"<list>": repr(value)}
    return {str(k): (None if v is None else str(v)) for k, v in value.items()}


def span(text):
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def short_port(text):
    """v1 keeps some ports in short syntax: [ip:][published:]target[/protocol], the ip
    possibly IPv6 with or without brackets ("::1:8082:82"): split from the right."""
    body, _, proto = str(text).partition("/")
    parts = body.split(":")
    if not re.fullmatch(r"[0-9]+(-[0-9]+)?", parts[-1]):
        return [("<unparsed>", str(text), 0, "")]
    targets = span(parts[-1])
    pub = parts[-2] if len(parts) >= 2 else ""
    ip = ":".join(parts[:-2]).strip("[]")
    if pub and "-" in pub and len(span(pub)) == len(targets):
        pubs = [str(p) for p in span(pub)]
    else:
        pubs = [pub] * len(targets)
    return [(ip, p, t, proto or "tcp") for p, t in zip(pubs, targets)]


def ports(value):
    out = []
    for p in value or []:
        if isinstance(p, dict):
            pub = p.get("published")
            out.append((str(p.get("host_ip") or ""), "" if pub in (None, "") else str(pub),
                        int(p.get("target", 0)), str(p.get("protocol") or "tcp")))
        else:
            out.extend(short_port(p))
    return sorted(out)


def depends_on(value):
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(s): "service_started" for s in value}
    return {str(s): str((c or {}).get("condition", "service_started")) for s, c in value.items()}


def v1_unescape(value):
    """v1's config escapes every literal "$" as "$$" so that its output reloads; the
    value a container gets has one "$"."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [v1_unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: v1_unescape(v) for k, v in value.items()}
    return value


def normalise(service, v1=False):
    if v1:
        service = {k: (v1_unescape(v) if k in ("image", "command", "entrypoint", "environment")
                       else v) for k, v in service.items()}
    return {
        "image": service.get("image"),
        "command": words(service.get("command")),
        "entrypoint": words(service.get("entrypoint")),
        "environment": environment(service.get("environment")),
        "ports": ports(service.get("ports")),
        "depends_on": depends_on(service.get("depends_on")),
    }


class Tally:
    def __init__(self):
        self.files = {"v1-rejects": 0, "stack-rejects": 0, "compared": 0, "v1-crash": 0}
        self.services = 0
        self.fields = 0
        self.equal = 0
        self.known = set()
        self.unexpected = []
        self.stack_rejects = []


def compare_file(name, v1doc, stackdoc, tally):
    v1s = {k: v for k, v in (v1doc.get("services") or {}).items()
           # v1.29's config lists services of inactive profiles; compose v2 and stack
           # leave them out (no --profile is given here).
           if not (v or {}).get("profiles")}
    sts = stackdoc.get("services") or {}
    if set(v1s) != set(sts):
        tally.unexpected.append(f"{name}: services differ: v1 {sorted(v1s)} stack {sorted(sts)}")
    for svc in sorted(set(v1s) & set(sts)):
        tally.services += 1
        a, b = normalise(v1s[svc] or {}, v1=True), normalise(sts[svc] or {})
        for field in FIELDS:
            tally.fields += 1
            key = (name, svc, field)
            if a[field] == b[field]:
                tally.equal += 1
                if key in KNOWN_DIFFERENCES:
                    tally.unexpected.append(f"{name}: {svc}.{field}: listed as a known "
                                            "difference but equal now: remove it from the list")
                continue
            if key in KNOWN_DIFFERENCES:
                tally.known.add(key)
                continue
            tally.unexpected.append(f"{name}: {svc}.{field}: v1 {a[field]!r} != stack {b[field]!r}")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(sys.argv[1])  # each run changes into the file's dir
    corpus = locate_corpus(sys.argv[2] if len(sys.argv) > 2 else None)
    if not shutil.which("docker-compose"):
        print("SKIPPED: docker-compose (Debian package) is not installed", file=sys.stderr)
        return SKIP
    try:
        import yaml  # python3-yaml, installed with docker-compose's dependencies
    except ImportError:
        print("SKIPPED: python3-yaml is not installed", file=sys.stderr)
        return SKIP
    tally = Tally()
    here = os.path.dirname(os.path.abspath(__file__))
    files = [(rel(corpus, p), p) for p in corpus_files(corpus) if is_compose_file(p)]
    # Our own fixtures reach the short syntaxes, env_file, .env and depends_on forms
    # that the corpus files accepted by v1 use little.
    fixtures = os.path.join(here, "fixtures")
    files += [("fixtures/" + f, os.path.join(fixtures, f))
              for f in sorted(os.listdir(fixtures)) if f.endswith(".yaml")]
    # docker-compose takes about a second a file, mostly Python start-up: run a few at once.
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda f: (v1_config(f[1]), stack_config(stack, f[1])), files))
    for (name, path), (v1, st) in zip(files, outcomes):
        if v1.status != 0:
            tally.files["v1-crash" if v1.crashed else "v1-rejects"] += 1
            print(f"v1-rejects    {name}: {first_line(v1.err)}")
            continue
        if st.status != 0:
            tally.files["stack-rejects"] += 1
            tally.stack_rejects.append(name)
            print(f"stack-rejects {name}: {first_line(st.err)}")
            continue
        v1doc, stackdoc = yaml.safe_load(v1.out), parse_json(st)
        if not isinstance(v1doc, dict) or not isinstance(stackdoc, dict):
            tally.unexpected.append(f"{name}: unreadable output (v1 YAML or stack JSON)")
            continue
        tally.files["compared"] += 1
        before = len(tally.unexpected)
        compare_file(name, v1doc, stackdoc, tally)
        print(f"{'compared' if len(tally.unexpected) == before else 'DIFFERS':13} {name}")
    stale = sorted(set(KNOWN_DIFFERENCES) - tally.known)
    print()
    print("files: " + ", ".join(f"{k} {v}" for k, v in tally.files.items()))
    print(f"services compared {tally.services}; fields equal {tally.equal} of {tally.fields}; "
          f"known differences {len(tally.known)}; unexpected {len(tally.unexpected)}")
    for key in sorted(tally.known):
        print(f"known difference {key[0]}: {key[1]}.{key[2]}: {KNOWN_DIFFERENCES[key]}")
    for line in tally.unexpected:
        print("UNEXPECTED " + line)
    for key in stale:
        if not any(key[0] in u for u in tally.unexpected):
            print(f"STALE known difference {key} did not occur: remove it from the list")
    return 1 if tally.unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
