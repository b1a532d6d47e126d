"""Lists what the project's scripts and tests use from the machine, and checks that each thing comes from a
Debian package that scripts/deps/ names (or that such a package depends on, or that is in Debian's essential
set). Run by scripts/check-deps with /usr/bin/python3 on a machine where `scripts/install-deps build stack test
k8s pkg` has run; prints one line per finding and exits 1 on any.

What is checked, without running anything:
- every command a shell script calls: the scripts are parsed with shfmt (a real shell parser), so heredocs,
  case patterns and quoting are no guesses; commands behind nice/exec/timeout/flock/setsid/... and inside
  `bash -c '...'` count too;
- every command the Python tests start (subprocess argv lists, shutil.which) and the C tests' itest_sh();
- every absolute /usr/bin, /usr/sbin, /bin, /sbin or /usr/lib/cni path in the scripts and the C sources;
- every module the Python tests and the stack's bootstrap import.
Commands are looked up on Debian's PATH only (/usr/sbin:/usr/bin:/sbin:/bin), so a tool that exists only in
/usr/local or a virtualenv here is reported, not silently found.
"""
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBIAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

SHELL_FILES = [".ci/run", "scripts/check-deps", "scripts/install-deps", "scripts/stack", "scripts/test",
               "scripts/quickstart", "scripts/k8s-rig", "scripts/build-image", "scripts/stack.d/*.sh",
               "scripts/stack.d/ebtables-nft-compat", "scripts/check-deps.d/*.sh", "tests/fuzz/run",
               "tests/integration/*/*.sh", "tests/pkg/*.sh", "hooks/example"]
PYTHON_FILES = ["tests/e2e/*.py", "tests/integration/*/*.py", "scripts/stack.d/*.py"]
C_FILES = ["lib/**/*.c", "libnetwork/*.c", "kuryrctl/*.c", "tests/**/*.c", "tests/**/*.h"]

# Not Debian packages, on purpose, each with its reason.
NOT_FROM_DEBIAN = {
    "go": "the machine image's Go toolchain (/usr/local/go); the Kubernetes rig needs Go >= 1.24, Debian 12 "
          "has 1.19 (tests/k8s/README.md)",
}
# Commands that this project builds (meson, the Kubernetes rig's Go module) or that the scripts make themselves.
PROJECT_COMMANDS = {"kuryr-libnetwork", "kuryrctl", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
                    "kubelet", "kubectl", "pause"}
# Files the scripts write themselves.
MADE_HERE = {"/usr/sbin/policy-rc.d"}
SHELL_WORDS = set("""alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo
enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd printf
pushd pwd read readarray readonly return set shift shopt source suspend test times trap true type typeset ulimit
umask unalias unset wait . : [ [[""".split())
# Commands that run another command: (name, how many leading non-option words belong to the wrapper itself).
WRAPPERS = {"nice": 0, "exec": 0, "timeout": 1, "flock": 1, "setsid": 0, "nohup": 0, "env": 0, "command": 0,
            "sudo": 0, "stdbuf": 0, "unshare": 0, "chroot": 1, "xargs": 0, "time": 0, "/usr/bin/time": 0,
            "ionice": 0, "runuser": 0, "nsenter": 0}
# The project's shell functions that run the command in their arguments: how many words come before it.
FUNCTIONS_RUNNING = {"start_bg": 2, "wait_for": 2, "_k8s_start": 1, "_k8s_wait": 2, "stage": 1, "check": 0}
OPTS_WITH_VALUE = {"nice": {"-n"}, "timeout": {"-s", "-k", "--signal", "--kill-after"}, "flock": {"-w", "-E"},
                   "/usr/bin/time": {"-o", "-f"}, "xargs": {"-n", "-P", "-I", "-d"}, "ionice": {"-c", "-n"},
                   "nsenter": {"-t", "--net", "-n"}, "unshare": {"--propagation"}}


def files(patterns):
    out = []
    for p in patterns:
        out += [f for f in sorted(glob.glob(os.path.join(ROOT, p), recursive=True)) if os.path.isfile(f)]
    return out


def word_text(word):
    """The literal text of a shfmt Word, or None if it has expansions."""
    text = ""
    for part in word.get("Parts", []):
        t = part.get("Type")
        if t == "Lit":
            text += part["Value"]
        elif t == "SglQuoted":
            text += part["Value"]
        elif t == "DblQuoted":
            inner = word_text({"Parts": part.get("Parts", [])})
            if inner is None:
                return None
            text += inner
        else:
            return None
    return text


def call_commands(args, runs=FUNCTIONS_RUNNING):
    """The commands one call runs: its own first word, and the command a wrapper runs."""
    words = [word_text(a) for a in args]
    found = []
    i = 0
    while i < len(words):
        cmd = words[i]
        if cmd is None:
            return found
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", cmd):  # env NAME=value cmd
            i += 1
            continue
        found.append(cmd)
        if cmd == "ip" and words[i + 1:i + 3] == ["netns", "exec"]:
            i += 4
            continue
        if cmd in runs:
            i += 1 + runs[cmd]
            continue
        if cmd not in WRAPPERS:
            if cmd in ("bash", "sh") and "-c" in words[i + 1:]:
                script = words[words.index("-c", i + 1) + 1] if words.index("-c", i + 1) + 1 < len(words) else None
                if script:
                    found += shell_commands(script)
            return found
        i += 1
        skip = WRAPPERS[cmd]
        takes_value = OPTS_WITH_VALUE.get(cmd, set())
        while i < len(words) and words[i] is not None and (words[i].startswith("-") or skip > 0):
            if words[i].startswith("-"):
                i += 2 if words[i] in takes_value else 1
            else:
                skip -= 1
                i += 1
    return found


def walk(node, calls, funcs):
    if isinstance(node, dict):
        t = node.get("Type")
        if t == "CallExpr" and node.get("Args"):
            calls.append(node["Args"])
        if t == "FuncDecl":
            funcs.add(node["Name"]["Value"])
        for v in node.values():
            walk(v, calls, funcs)
    elif isinstance(node, list):
        for v in node:
            walk(v, calls, funcs)


def parse_shell(text):
    r = subprocess.run(["shfmt", "--to-json"], input=text, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"shfmt could not parse: {r.stderr.strip()}")
    return json.loads(r.stdout)


FUNCS = set()


def is_all_args(word):
    """Whether a shfmt Word is "$@"."""
    parts = word.get("Parts", [])
    if len(parts) != 1 or parts[0].get("Type") != "DblQuoted":
        return False
    inner = parts[0].get("Parts", [])
    return len(inner) == 1 and inner[0].get("Type") == "ParamExp" and inner[0]["Param"]["Value"] == "@"


def local_runners(tree):
    """The functions of one script that run their arguments as a command ("$@" in command position): how many
    words they shift off first. They take precedence over FUNCTIONS_RUNNING's same names in that script."""
    found = {}
    decls = []
    walk_decls(tree, decls)
    for d in decls:
        calls = []
        walk(d["Body"], calls, set())
        if any(is_all_args(a[0]) for a in calls):
            shifts = 0
            for a in calls:
                if word_text(a[0]) == "shift":
                    shifts += int(word_text(a[1]) or 1) if len(a) > 1 else 1
            found[d["Name"]["Value"]] = shifts
    return found


def walk_decls(node, out):
    if isinstance(node, dict):
        if node.get("Type") == "FuncDecl":
            out.append(node)
        for v in node.values():
            walk_decls(v, out)
    elif isinstance(node, list):
        for v in node:
            walk_decls(v, out)


def shell_commands(text):
    calls = []
    tree = parse_shell(text)
    walk(tree, calls, FUNCS)
    runs = {**FUNCTIONS_RUNNING, **local_runners(tree)}
    out = []
    for args in calls:
        out += call_commands(args, runs)
    return out


def python_uses(path):
    tree = ast.parse(open(path).read(), path)
    cmds, mods = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call):
            for arg in node.args[:1]:
                if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts and isinstance(arg.elts[0], ast.Constant) \
                        and isinstance(arg.elts[0].value, str):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    if name in ("run", "check_output", "check_call", "call", "Popen", "sh"):
                        cmds.append(arg.elts[0].value)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                        getattr(node.func, "attr", "") == "which":
                    cmds.append(arg.value)
    return cmds, mods


def variants(path):
    """path and its /usr-merge twins (/bin/x and /usr/bin/x are one file on Debian 12, listed under either)."""
    out = {path, os.path.realpath(path)}
    for p in list(out):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
            if p.startswith(a):
                out.add(b + p[len(a):])
            elif p.startswith(b):
                out.add(a + p[len(b):])
    return out


def owners(paths):
    """{path: Debian package that ships it} for the paths dpkg knows, asked in one dpkg-query call."""
    wanted = {}
    for p in paths:
        for v in variants(p):
            wanted.setdefault(v, set()).add(p)
    r = subprocess.run(["dpkg-query", "-S"] + sorted(wanted), capture_output=True, text=True)
    found = {}
    for line in r.stdout.splitlines():
        if line.startswith("diversion") or ": " not in line:
            continue
        pkgs, f = line.split(": ", 1)
        for p in wanted.get(f, ()):
            found.setdefault(p, pkgs.split(",")[0].split(":")[0].strip())
    return found


def allowed_packages():
    named = []
    for f in sorted(glob.glob(os.path.join(ROOT, "scripts/deps/*.txt"))):
        for line in open(f):
            line = line.split("#")[0].strip()
            if line:
                named.append(line)
    q = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\\n"], capture_output=True, text=True)
    essential = [l.split()[0] for l in q.stdout.splitlines() if l.endswith(" yes")]
    r = subprocess.run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
                        "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + named + essential + ["apt"],
                       capture_output=True, text=True, check=True)
    closure = {l.strip() for l in r.stdout.splitlines() if l and not l.startswith((" ", "<"))}
    return set(named), closure | set(essential)


def main():
    named, allowed = allowed_packages()
    uses = {}  # command or path -> first file that uses it
    modules = {}
    for f in files(SHELL_FILES):
        for c in shell_commands(open(f).read()):
            uses.setdefault(c, f)
    for f in files(PYTHON_FILES):
        cmds, mods = python_uses(f)
        for c in cmds:
            uses.setdefault(c, f)
        for m in mods:
            modules.setdefault(m, f)
    for f in files(C_FILES):
        text = open(f, errors="replace").read()
        for c in re.findall(r'itest_sh\("([A-Za-z0-9_.-]+)', text):
            uses.setdefault(c, f)
    for f in files(SHELL_FILES + C_FILES):
        for p in re.findall(r'(?<![\w$}./-])(/(?:usr/)?s?bin/[A-Za-z0-9_.+-]+|/usr/lib/cni/[a-z-]+)',
                            open(f, errors="replace").read()):
            uses.setdefault(p, f)
    local = {os.path.splitext(os.path.basename(f))[0] for f in files(PYTHON_FILES)}

    problems, resolved = [], {}
    for c, where in sorted(uses.items()):
        rel = os.path.relpath(where, ROOT)
        name = os.path.basename(c)
        if c in SHELL_WORDS or c in FUNCS or name in PROJECT_COMMANDS or c in NOT_FROM_DEBIAN or c in MADE_HERE:
            continue
        if not re.fullmatch(r"/?[A-Za-z0-9_./+-]+", c) or c.startswith((".", "/tmp/")) or \
                ("/" in c and not c.startswith("/")):
            continue  # a relative path: one of the project's own scripts or build outputs
        path = c if c.startswith("/") and os.path.exists(c) else shutil.which(name, path=DEBIAN_PATH)
        # An absolute path that is not here is one of several places the code tries (/usr/bin or /usr/sbin):
        # the command itself must still come from a package.
        if not path:
            problems.append(f"{c} (used in {rel}): not on this machine's Debian PATH")
        else:
            resolved[c] = (path, rel)
    pkg_of = owners([p for p, _ in resolved.values()])
    for c, (path, rel) in sorted(resolved.items()):
        pkg = pkg_of.get(path)
        if pkg is None:
            problems.append(f"{c} (used in {rel}): {path} belongs to no Debian package")
        elif pkg not in allowed:
            problems.append(f"{c} (used in {rel}): from package {pkg}, which no scripts/deps list brings in")
    checked = len(resolved)
    probe = ("import importlib.util,sys\nfor m in sys.argv[1:]:\n s=importlib.util.find_spec(m)\n"
             " print(m, s.origin if s and s.origin else (next(iter(s.submodule_search_locations)) if s and "
             "s.submodule_search_locations else '-'))")
    mods = sorted(m for m in modules if m not in local)
    out = subprocess.run(["/usr/bin/python3", "-c", probe] + mods, capture_output=True, text=True, check=True)
    origins = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    pkg_of = owners([o for o in origins.values() if o.startswith("/")])
    for m, origin in sorted(origins.items()):
        rel = os.path.relpath(modules[m], ROOT)
        checked += 1
        if origin in ("built-in", "frozen"):
            continue
        if origin == "-":
            problems.append(f"python module {m} (used in {rel}): not importable by /usr/bin/python3")
            continue
        pkg = pkg_of.get(origin)
        if pkg is None or pkg not in allowed:
            problems.append(f"python module {m} (used in {rel}): {origin} is from {pkg or 'no Debian package'}, "
                            "which no scripts/deps list brings in")
    for p in problems:
        print("check-deps: " + p)
    print(f"check-deps: {checked} commands, paths and Python modules used by the scripts and tests; "
          f"{len(problems)} not covered by scripts/deps/ ({len(named)} named packages, {len(allowed)} with their "
          f"dependencies and the essential set)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
