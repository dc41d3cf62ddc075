#!/usr/bin/env python3
"""doc_keys.py - the keys the configuration accepts, as the code reads them,
against the keys man/vitals.yaml.5.scd, docs/config.md, docs/endpoints.md and
docs/checks.md document; and the options of --help against the man pages.

The code's keys: the rows of the settings tables (.key = "k") and the keys
read directly (vnode_str(map, "k", ...), get_map(root, "k", ...), ...) in
lib/. A key read in lib/checks/<file>.c belongs to the check type that file
defines (with the rows of the lib/checks/ headers it includes); every other
key is general (top level, service, listen, access, limits, endpoints, the
keys every check has, and whatever sections come next).

Each problem is one line naming the key, where it is read and the file that
lacks it; exit 1 when there is any.

    doc_keys.py SOURCE_DIR [--vitalsd PATH --vitals PATH]
    doc_keys.py --self-test
"""
import os
import re
import subprocess
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
ROW = re.compile(r'\.key\s*=\s*"(%s)"' % IDENT)
# A row naming its key by a macro: .key = MEM_KEY, #define MEM_KEY "k".
ROW_MACRO = re.compile(r'\.key\s*=\s*([A-Z_][A-Z0-9_]*)\b')
DEFINE = re.compile(r'^#\s*define\s+([A-Z_][A-Z0-9_]*)\s+"(%s)"\s*$' % IDENT,
                    re.M)
# A getter whose second argument is the key: vnode_str(map, "k", ...).
# (vnode_map_done's second argument names the section, not a key.)
GETTER = re.compile(r'\b(?!vnode_map_done)(?:vnode_\w+|get_map|read_string)'
                    r'\s*\(\s*[^,()"]+,'
                    r'\s*"(%s)"' % IDENT)
TYPE_NAME = re.compile(r'\.name\s*=\s*"(%s)"' % IDENT)
LOCAL_HEADER = re.compile(r'#\s*include\s+"checks/(\w+\.h)"')
LITERAL = re.compile(r'"(%s)"' % IDENT)
OUTPUT_ID = re.compile(r'^\s*XX\((\w+)\)', re.M)

MAN_KEYS = "man/vitals.yaml.5.scd"
MAN_OPTS = {"vitalsd": "man/vitalsd.8.scd", "vitals": "man/vitals.1.scd"}
GENERAL_DOCS = ["docs/config.md", "docs/endpoints.md"]
CHECK_DOCS = "docs/checks.md"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def rows(text):
    """The keys of the settings rows in text, macros resolved."""
    defines = dict(DEFINE.findall(text))
    return ROW.findall(text) + [defines[m] for m in ROW_MACRO.findall(text)
                                if m in defines]


def code_keys(root):
    """({key: where} general, {type: {key: where}}, every literal, outputs)."""
    general, types, literals = {}, {}, set()
    lib = os.path.join(root, "lib")
    for d, _, files in os.walk(lib):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            rel = os.path.relpath(path, root)
            text = strip_comments(read(path))
            literals.update(LITERAL.findall(text))
            if rel.startswith("lib/checks/"):
                if "vcheck_type_t" not in text or name.endswith(".h"):
                    if name == "builtin.c":  # the `type` key
                        for k in ROW.findall(text):
                            general.setdefault(k, rel)
                    continue
                m = TYPE_NAME.search(text)
                if m is None:
                    continue
                keys = types.setdefault(m.group(1), {})
                for k in rows(text) + GETTER.findall(text):
                    keys.setdefault(k, rel)
                for h in LOCAL_HEADER.findall(text):
                    hp = os.path.join(lib, "checks", h)
                    for k in rows(strip_comments(read(hp))):
                        keys.setdefault(k, "lib/checks/" + h)
                continue
            for k in rows(text) + GETTER.findall(text):
                general.setdefault(k, rel)
    outputs = OUTPUT_ID.findall(read(os.path.join(lib, "outputs",
                                                  "outputs.c")))
    return general, types, literals, outputs


def man_sections(text):
    """{section: text}: '# X' sections, and 'CHECK TYPES/t' for '## t'
    under CHECK TYPES."""
    out, top, sub = {}, "", None
    for line in text.splitlines():
        if line.startswith("# "):
            top, sub = line[2:].strip(), None
            continue
        if line.startswith("## ") and top == "CHECK TYPES":
            sub = line[3:].strip()
            continue
        out.setdefault(top if sub is None else top + "/" + sub, []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def man_mentions(text):
    return set(re.findall(r"\*(%s)\*" % IDENT, text))


def man_defined(text):
    """Keys a definition line starts with: '*k*' or '*a*, *b*'."""
    keys = set()
    for line in text.splitlines():
        m = re.match(r"^(\*%s\*(?:, \*%s\*)*)\s*$" % (IDENT, IDENT), line)
        if m:
            keys.update(re.findall(r"\*(%s)\*" % IDENT, m.group(1)))
    return keys


def md_mentions(text):
    return set(re.findall(r"`(%s)`" % IDENT, text))


def md_table_keys(text):
    return set(re.findall(r"^\| `(%s)` \|" % IDENT, text, flags=re.M))


def md_type_sections(text):
    """{type: section text} for '## `t`: ...' headings."""
    parts = re.split(r"^## `(%s)`.*$" % IDENT, text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def unknown_type_keys(doc, sections, types, defined):
    """Lines for the types and keys doc's sections document that the code
    does not have; defined(text) gives a section's keys."""
    out = []
    for t, text in sorted(sections.items()):
        if t not in types:
            out.append("%s: documents check type '%s', which does not exist"
                       % (doc, t))
            continue
        for k in sorted(defined(text) - set(types[t])):
            out.append("%s: check type '%s': documents key '%s', which the "
                       "type does not read" % (doc, t, k))
    return out


def check_keys(root):
    out = []
    general, types, literals, outputs = code_keys(root)
    man = read(os.path.join(root, MAN_KEYS))
    secs = man_sections(man)
    man_general = "\n".join(v for k, v in secs.items()
                            if not k.startswith("CHECK TYPES/"))
    man_types = {k.split("/", 1)[1]: v for k, v in secs.items()
                 if k.startswith("CHECK TYPES/")}
    docs_general = "\n".join(read(os.path.join(root, p))
                             for p in GENERAL_DOCS)
    docs_types = md_type_sections(read(os.path.join(root, CHECK_DOCS)))

    # Every key the code reads is documented, in the right place.
    for k, where in sorted(general.items()):
        if k not in man_mentions(man_general):
            out.append("%s: key '%s' (read in %s) is not documented"
                       % (MAN_KEYS, k, where))
        if k not in md_mentions(docs_general):
            out.append("%s: key '%s' (read in %s) is not documented"
                       % (" or ".join(GENERAL_DOCS), k, where))
    for t, keys in sorted(types.items()):
        if t not in man_types:
            out.append("%s: check type '%s' has no '## %s' under CHECK TYPES"
                       % (MAN_KEYS, t, t))
        if t not in docs_types:
            out.append("%s: check type '%s' has no '## `%s`' section"
                       % (CHECK_DOCS, t, t))
        for k, where in sorted(keys.items()):
            if t in man_types and k not in man_mentions(man_types[t]):
                out.append("%s: check type '%s': key '%s' (read in %s) is "
                           "not documented" % (MAN_KEYS, t, k, where))
            if t in docs_types and k not in md_mentions(docs_types[t]):
                out.append("%s: check type '%s': key '%s' (read in %s) is "
                           "not documented" % (CHECK_DOCS, t, k, where))
    for o in outputs:
        if o not in man_mentions(secs.get("ENDPOINTS", "")):
            out.append("%s: endpoint '%s' is not under ENDPOINTS"
                       % (MAN_KEYS, o))
        if o not in md_mentions(docs_general):
            out.append("%s: endpoint '%s' is not documented"
                       % (" or ".join(GENERAL_DOCS), o))

    # Every documented key is one the code accepts.
    for k in sorted(man_defined(man_general) - literals - set(outputs)):
        out.append("%s: documents key '%s', which nothing in lib/ reads"
                   % (MAN_KEYS, k))
    out += unknown_type_keys(MAN_KEYS, man_types, types, man_defined)
    config_md = read(os.path.join(root, "docs/config.md"))
    for k in sorted(md_table_keys(config_md) - literals):
        out.append("docs/config.md: documents key '%s', which nothing in "
                   "lib/ reads" % k)
    out += unknown_type_keys(CHECK_DOCS, docs_types, types, md_table_keys)
    return out


OPTION = re.compile(r"(?<![\w-])--([a-z][a-z-]*[a-z])")


def help_text(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=30)
    return p.stdout


def check_options(root, vitalsd, vitals):
    out = []
    helps = {
        "vitalsd": help_text([vitalsd, "--help"]),
        "vitals": help_text([vitals, "--help"]),
    }
    # Every command that 'vitals --help' lists under "commands:".
    listed = helps["vitals"].split("commands:", 1)[-1]
    for cmd in re.findall(r"^  ([a-z]+)  ", listed, flags=re.M):
        helps["vitals"] += help_text([vitals, cmd, "--help"])
    for prog, page in sorted(MAN_OPTS.items()):
        man = set(re.findall(r"\*--([a-z][a-z-]*)\*", read(os.path.join(root,
                                                                  page))))
        have = set(OPTION.findall(helps[prog]))
        for o in sorted(have - man):
            out.append("%s: option --%s of '%s --help' is not documented"
                       % (page, o, prog))
        for o in sorted(man - have):
            out.append("%s: documents --%s, which '%s --help' does not show"
                       % (page, o, prog))
    return out


def self_test():
    """The parsers on small texts: a check that cannot fail tests nothing."""
    man = ("# TOP\n\n*listen*\n\tx *nested*\n\n*a*, *b*\n\tboth\n\n"
           "# CHECK TYPES\n\n## disk\n\n*path*\n\tp\n")
    secs = man_sections(man)
    assert set(secs) == {"TOP", "CHECK TYPES", "CHECK TYPES/disk"}, secs
    assert man_defined(secs["TOP"]) == {"listen", "a", "b"}
    assert man_mentions(secs["TOP"]) == {"listen", "nested", "a", "b"}
    assert man_defined(secs["CHECK TYPES/disk"]) == {"path"}
    md = "## `disk`: x\n| `path` | s |\n## `dns`: y\n| `name` | `A` |\n"
    assert md_type_sections(md).keys() == {"disk", "dns"}
    assert md_table_keys(md_type_sections(md)["dns"]) == {"name"}
    src = ('static const vsetting_t t[] = {{.key = "path", .kind = 1},\n'
           '/* .key = "gone" */ {0}};\n'
           'int f(void) { vnode_str(map, "leeway", &x, e); '
           'verrs_add(e, n, "not_a_key"); }\n')
    text = strip_comments(src)
    assert rows(text) == ["path"], rows(text)
    macro = '#define MEM_KEY "memory_below"\n{.key = MEM_KEY, .kind = 1}\n'
    assert rows(macro) == ["memory_below"], rows(macro)
    assert GETTER.findall('vnode_map_done(m, "limits", e);') == []
    assert GETTER.findall(text) == ["leeway"], GETTER.findall(text)
    assert OPTION.findall("  -c, --config FILE  x-y --log-level") == [
        "config", "log-level"]
    tree_test()
    print("doc_keys self-test: ok")
    return 0


TREE = {
    "lib/config/config.c": '{.key = "listen"}, {.key = "state_dir"}\n',
    "lib/outputs/outputs.c": "#define OUTPUTS(XX) \\\n    XX(ietf) \\\n",
    "lib/checks/disk.c": 'const vcheck_type_t vcheck_disk = {.name = "disk"};\n'
                         '{.key = "path"}, {.key = "degraded_below"}\n',
    MAN_KEYS: "# TOP\n\n*listen*\n\tl\n\n*gone*\n\tg\n\n# ENDPOINTS\n\n"
              "*ietf*\n\n# CHECK TYPES\n\n## disk\n\n*path*\n\tp\n\n"
              "## nope\n\n*x*\n",
    "docs/config.md": "| `listen` | x |\n| `state_dir` | y |\n`ietf`\n",
    "docs/endpoints.md": "",
    CHECK_DOCS: "## `disk`: free space\n| `path` | s |\n"
                "| `degraded_below` | s |\n| `unhealthy_below` | s |\n",
}

TREE_WANT = [
    MAN_KEYS + ": key 'state_dir' (read in lib/config/config.c) is not "
    "documented",
    MAN_KEYS + ": check type 'disk': key 'degraded_below' (read in "
    "lib/checks/disk.c) is not documented",
    MAN_KEYS + ": documents key 'gone', which nothing in lib/ reads",
    MAN_KEYS + ": documents check type 'nope', which does not exist",
    CHECK_DOCS + ": check type 'disk': documents key 'unhealthy_below', "
    "which the type does not read",
]


def tree_test():
    """A small tree with one mistake of each kind: each is reported."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        for path, text in TREE.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)),
                        exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        got = check_keys(root)
    assert got == TREE_WANT, "\n".join(got)


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = argv[1]
    args = dict(zip(argv[2::2], argv[3::2]))
    out = check_keys(root)
    if "--vitalsd" in args and "--vitals" in args:
        out += check_options(root, args["--vitalsd"], args["--vitals"])
    for line in out:
        print(line)
    if out:
        print("%d problem(s): document each key where it is read, or fix "
              "the documentation" % len(out))
        return 1
    print("documented keys and options match the code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
