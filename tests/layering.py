#!/usr/bin/env python3
"""layering.py - checks the layering of lib/: no include across a forbidden
edge, no include cycle, no file over the length limit.

    layering.py SOURCE_DIR     check SOURCE_DIR/lib; exit 1 on any offence
    layering.py --self-test    check synthetic trees that break every rule
                               (and one that breaks none): exit 1 unless
                               the check finds exactly what it must

Includes are the quoted ones (#include "..."), resolved as the compiler
does: next to the including file, then in include/ and lib/ (includes are
rooted at lib/: "engine/engine.h"). Paths below are relative to the source
directory. Each offence is one line:

    lib/engine/engine.c:14: includes outputs/output.h (forbidden: engine -> outputs)
    lib/x.h: include cycle lib/x.h -> lib/y.h -> lib/x.h
    lib/checks/tls.c: 784 lines (limit 600)
"""

import os
import re
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------------------
# The rules. Each row: its name, the files it applies to (a prefix), the
# includes it forbids (prefixes; "lib/" is everything in lib/), and the
# includes it allows even so (prefixes, checked first).

RULES = [
    # name                       files            forbidden includes                 allowed even so
    ("outputs -> engine",        "lib/outputs/",  ["lib/engine/"],                   []),
    ("outputs -> listen",        "lib/outputs/",  ["lib/listen/"],                   []),
    ("outputs -> access",        "lib/outputs/",  ["lib/access/"],                   []),
    ("outputs -> config",        "lib/outputs/",  ["lib/config/"],                   ["lib/config/settings.h",
                                                                                      "lib/config/vnode.h"]),
    ("outputs -> checks",        "lib/outputs/",  ["lib/checks/"],                   []),
    ("outputs -> store",         "lib/outputs/",  ["lib/store/"],                    ["lib/store/query.h"]),
    ("checks -> listen",         "lib/checks/",   ["lib/listen/"],                   []),
    ("checks -> outputs",        "lib/checks/",   ["lib/outputs/"],                  []),
    ("checks -> access",         "lib/checks/",   ["lib/access/"],                   []),
    ("checks -> engine internals", "lib/checks/", ["lib/engine/engine.h",
                                                   "lib/engine/runner"],             []),
    ("engine -> listen",         "lib/engine/",   ["lib/listen/"],                   []),
    ("engine -> outputs",        "lib/engine/",   ["lib/outputs/"],                  []),
    ("engine -> access",         "lib/engine/",   ["lib/access/"],                   []),
    ("engine -> config",         "lib/engine/",   ["lib/config/"],                   []),
    ("engine -> store",          "lib/engine/",   ["lib/store/"],                    ["lib/store/record.h"]),
    ("store -> rest of lib",     "lib/store/",    ["lib/"],                          ["lib/store/", "lib/util/",
                                                                                      "lib/snapshot.h"]),
    ("util -> rest of lib",      "lib/util/",     ["lib/"],                          ["lib/util/"]),
    ("access -> engine",         "lib/access/",   ["lib/engine/"],                   []),
    ("access -> outputs",        "lib/access/",   ["lib/outputs/"],                  []),
    ("access -> listen",         "lib/access/",   ["lib/listen/"],                   []),
    ("notify -> engine",         "lib/notify/",   ["lib/engine/"],                   []),
    ("notify -> listen",         "lib/notify/",   ["lib/listen/"],                   []),
    ("notify -> outputs",        "lib/notify/",   ["lib/outputs/"],                  []),
    ("notify -> access",         "lib/notify/",   ["lib/access/"],                   []),
    ("notify -> checks",         "lib/notify/",   ["lib/checks/"],                   ["lib/checks/http_target.h"]),
    ("notify -> instance",       "lib/notify/",   ["lib/instance.h"],                []),
    ("lib -> daemon",            "lib/",          ["daemon/"],                       []),
    ("lib -> cli",               "lib/",          ["cli/"],                          []),
]

# No .c or .h in lib/ has more lines than this.
MAX_LINES = 600

# Where a quoted include is looked for after the including file's own
# directory: the compiler's -I list (include/, lib/), then the source root,
# so that "daemon/..." or "cli/..." is found to be forbidden even though
# no -I reaches it.
SEARCH = ["include", "lib", "."]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')

# ---------------------------------------------------------------------------


def lib_files(root):
    """Every .c and .h under root/lib, as root-relative paths, sorted."""
    out = []
    for d, dirs, files in os.walk(os.path.join(root, "lib")):
        dirs.sort()
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def resolve(root, src, name):
    """The root-relative path that #include "name" in src reaches, or
    None when it is not in the tree (a header of another project)."""
    for base in [os.path.dirname(src)] + SEARCH:
        path = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, path)):
            return path
    return None


def includes(root, src):
    """(line number, name as written, resolved path or None) for each
    quoted include of src."""
    out = []
    with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((n, m.group(1), resolve(root, src, m.group(1))))
    return out


def starts(path, prefixes):
    return any(path.startswith(p) for p in prefixes)


def forbidden(src, target):
    """The name of the first rule that src including target breaks."""
    for name, files, banned, allowed in RULES:
        if src.startswith(files) and starts(target, banned) \
                and not starts(target, allowed):
            return name
    return None


def cycles(graph):
    """One cycle (a list of paths, first == last) per strongly connected
    component of graph that has one, by Tarjan's algorithm."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(path_in(graph, comp, min(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def path_in(graph, comp, start):
    """A cycle through start that stays inside comp (breadth first, so
    the shortest)."""
    prev, queue = {}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w not in comp:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return path[::-1] + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start, start]


def check(root):
    """Every offence in root's lib/, as printable lines."""
    out = []
    graph = {}
    for src in lib_files(root):
        graph.setdefault(src, set())
        for n, name, target in includes(root, src):
            if target is None:
                continue
            rule = forbidden(src, target)
            if rule:
                out.append("%s:%d: includes %s (forbidden: %s)"
                           % (src, n, name, rule))
            if target.startswith("lib/"):
                graph[src].add(target)
    for cycle in cycles(graph):
        out.append("%s: include cycle %s" % (cycle[0], " -> ".join(cycle)))
    for src in lib_files(root):
        with open(os.path.join(root, src), "rb") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            out.append("%s: %d lines (limit %d)" % (src, n, MAX_LINES))
    return out


# ---------------------------------------------------------------------------
# The self-test: trees made to break each rule, and one that breaks none.

BAD_TREE = {
    "include/vitals.h": "",
    "daemon/main.h": "",
    "lib/snapshot.h": '#include "engine/engine.h"\n',
    "lib/engine/engine.h": '#include "vitals.h"\n#include "engine/clock.h"\n',
    "lib/engine/clock.h": "",
    "lib/engine/engine.c": '#include "engine/engine.h"\n'
                           '#include "outputs/format.h"\n',
    "lib/outputs/format.h": '#include "snapshot.h"\n#include "config/vnode.h"\n',
    "lib/outputs/ietf.c": '#include <stdio.h>\n#include "outputs/format.h"\n'
                          '#include "engine/clock.h"\n',
    "lib/config/vnode.h": "",
    "lib/checks/tcp.c": '  #  include "engine/engine.h"\n#include "clock.h"\n',
    "lib/checks/clock.h": "",
    "lib/util/utf8.c": '#include "vitals.h"\n#include "util/utf8.h"\n'
                       '#include "../config/vnode.h"\n'
                       '#include "../../daemon/main.h"\n',
    "lib/util/utf8.h": "",
    "lib/access/a.h": '#include "access/b.h"\n',
    "lib/access/b.h": '#include "c.h"\n',
    "lib/access/c.h": '#include "access/a.h"\n',
    "lib/access/self.h": '#include "self.h"\n',
    "lib/access/long.c": "/* long */\n" * (MAX_LINES + 1),
    "lib/access/ok.c": "/* just long enough */\n" * MAX_LINES,
    "lib/notify/n.c": '#include "engine/engine.h"\n#include "checks/clock.h"\n',
}

BAD_WANT = [
    'lib/checks/tcp.c:1: includes engine/engine.h '
    '(forbidden: checks -> engine internals)',
    'lib/engine/engine.c:2: includes outputs/format.h '
    '(forbidden: engine -> outputs)',
    'lib/outputs/ietf.c:3: includes engine/clock.h '
    '(forbidden: outputs -> engine)',
    'lib/util/utf8.c:3: includes ../config/vnode.h '
    '(forbidden: util -> rest of lib)',
    'lib/util/utf8.c:4: includes ../../daemon/main.h '
    '(forbidden: lib -> daemon)',
    "lib/access/a.h: include cycle lib/access/a.h -> lib/access/b.h "
    "-> lib/access/c.h -> lib/access/a.h",
    "lib/access/self.h: include cycle lib/access/self.h -> lib/access/self.h",
    "lib/access/long.c: %d lines (limit %d)" % (MAX_LINES + 1, MAX_LINES),
    'lib/notify/n.c:1: includes engine/engine.h (forbidden: notify -> engine)',
    'lib/notify/n.c:2: includes checks/clock.h (forbidden: notify -> checks)',
]

GOOD_TREE = {
    "include/vitals.h": "",
    "lib/snapshot.h": '#include "engine/engine.h"\n',
    "lib/engine/engine.h": '#include "vitals.h"\n#include "checks/check_type.h"\n',
    "lib/checks/check_type.h": '#include "config/vnode.h"\n',
    "lib/checks/tcp.c": '#include "checks/check_type.h"\n#include "util/utf8.h"\n'
                        '#include "engine/result.h"\n',
    "lib/engine/result.h": "",
    "lib/config/vnode.h": '#include "vitals.h"\n',
    "lib/outputs/format.h": '#include "snapshot.h"\n#include "config/vnode.h"\n'
                            '#include "config/settings.h"\n',
    "lib/config/settings.h": "",
    "lib/util/utf8.h": '#include "vitals.h"\n#include <stdint.h>\n',
    "lib/access/access.h": '#include "config/vnode.h"\n#include "nowhere.h"\n',
    "lib/notify/n.c": '#include "snapshot.h"\n#include "checks/http_target.h"\n',
    "lib/checks/http_target.h": "",
}


def make(base, tree):
    for path, text in tree.items():
        full = os.path.join(base, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def self_test():
    ok = True
    with tempfile.TemporaryDirectory(prefix="vitals-layering-") as base:
        make(os.path.join(base, "bad"), BAD_TREE)
        make(os.path.join(base, "good"), GOOD_TREE)
        got = check(os.path.join(base, "bad"))
        print("On a tree that breaks every rule, the check reports:")
        for line in got:
            print("  " + line)
        for line in sorted(set(BAD_WANT) - set(got)):
            print("MISSED: " + line)
            ok = False
        for line in sorted(set(got) - set(BAD_WANT)):
            print("SPURIOUS: " + line)
            ok = False
        got = check(os.path.join(base, "good"))
        for line in got:
            print("SPURIOUS on a tree that breaks no rule: " + line)
            ok = False
        # The command itself, as ctest runs it: exit 1, every offence out.
        for tree, rc in (("bad", 1), ("good", 0)):
            run = subprocess.run([sys.executable, os.path.abspath(__file__),
                                  os.path.join(base, tree)],
                                 capture_output=True, text=True)
            printed = set(run.stdout.splitlines())
            if run.returncode != rc or (rc and not set(BAD_WANT) <= printed):
                print("the command on the %s tree exited %d (want %d):\n%s"
                      % (tree, run.returncode, rc, run.stdout + run.stderr))
                ok = False
    print("self-test " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root = argv[1]
    if not os.path.isdir(os.path.join(root, "lib")):
        print("layering: %s has no lib/" % root, file=sys.stderr)
        return 2
    offences = check(root)
    for line in offences:
        print(line)
    print("layering: %d offence%s in %s/lib" % (
        len(offences), "" if len(offences) == 1 else "s", root))
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
