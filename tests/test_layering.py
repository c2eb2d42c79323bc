"""The layering of ARCHITECTURE.md, checked on the source code with `ast` (no import runs).

Rules:
- the core (`urbanmgmt/`) imports no channel or view app (`collectors_app`, `vision`, `maps`),
  neither by an import statement nor by a dotted string (`import_string("vision.…")`, a lazy
  model reference); the project's wiring (settings, urls, wsgi) names every app and is exempt;
- the video worker (`vision/worker/`) imports no Django and nothing of the project outside
  itself, and the package `__init__` files on its import path import nothing;
- no import cycle between modules of the project, counting every import: one inside a function
  (or through `import_string`) only delays a cycle to the first call, it does not remove it;
- no private name (leading underscore) imported from another module of the project;
- nothing imports the demo app (`demo/`: the demo city, the simulated year, synthetic video)
  but the demo app itself (its commands), the tests and the benchmarks, by statement or by a
  dotted string naming one of its modules; production code keeps no generator.

Each rule is a function over a `Tree` (module name → source), so the tests below feed it small
synthetic trees to prove that it fails where it must.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_PACKAGES = ("urbanmgmt", "collectors_app", "vision", "maps", "demo", "tests", "bench")
CORE = "urbanmgmt"
CHANNELS = ("collectors_app", "vision", "maps")
DEMO = "demo"
DEMO_USERS = (DEMO, "tests", "bench")
WORKER = "vision.worker"
# The project's wiring: it names every app and URL module by design.
WIRING = {"urbanmgmt.settings", "urbanmgmt.urls", "urbanmgmt.wsgi", "urbanmgmt.asgi"}
# Known breaches, each with the issue that removes it; a breach that is gone must leave the list.
KNOWN_CHANNEL_IMPORTS: dict[tuple[str, str], str] = {}
STRING_IMPORTERS = {"import_string", "import_module", "__import__", "include"}
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")

Tree = dict[str, str]


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (the longest prefix that is a module of the tree)
    names: tuple[str, ...]  # names taken from it by `from … import`
    line: int
    deferred: bool  # inside a function, or a string import resolved at call time

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def project_tree(root: Path = ROOT) -> Tree:
    """Every Python module of the project's packages, by dotted name."""
    tree = {}
    for package in TOP_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            tree[name] = path.read_text(encoding="utf-8")
    return tree


def _is_package(tree: Tree, name: str) -> bool:
    return any(other.startswith(name + ".") for other in tree)


def _resolve(tree: Tree, name: str) -> str:
    """The longest prefix of `name` that is a module of the tree (`name` itself when none is)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in tree:
            return ".".join(parts[:end])
    return name


def _absolute(tree: Tree, source: str, module: str | None, level: int) -> str:
    if level:
        package = source if _is_package(tree, source) else source.rpartition(".")[0]
        for _ in range(level - 1):
            package = package.rpartition(".")[0]
        return f"{package}.{module}" if module else package
    # Scripts (bench/) import their siblings by bare name: the script's folder is on sys.path.
    folder = source.rpartition(".")[0]
    if module and folder and f"{folder}.{module.split('.')[0]}" in tree and f"{folder}.__init__" not in tree \
            and not _is_package(tree, module.split(".")[0]):
        return f"{folder}.{module}"
    return module or ""


def _string_target(node: ast.Call) -> str | None:
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called in STRING_IMPORTERS and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, tree: Tree, source: str):
        self.tree, self.source, self.depth, self.found = tree, source, 0, []

    def _function(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _add(self, name: str, names: tuple[str, ...], line: int, deferred: bool) -> None:
        self.found.append(Import(self.source, _resolve(self.tree, name), names, line, deferred))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, (), node.lineno, self.depth > 0)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(self.tree, self.source, node.module, node.level)
        taken = []
        for alias in node.names:
            if f"{base}.{alias.name}" in self.tree:  # `from package import module`
                self._add(f"{base}.{alias.name}", (), node.lineno, self.depth > 0)
            else:
                taken.append(alias.name)
        if taken or base not in self.tree:
            self._add(base, tuple(taken), node.lineno, self.depth > 0)

    def visit_Call(self, node: ast.Call) -> None:
        target = _string_target(node)
        if target and DOTTED.fullmatch(target):
            self._add(target, (), node.lineno, True)
        self.generic_visit(node)


@cache
def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def imports(tree: Tree) -> Iterator[Import]:
    """Every import of every module in the tree, function-level and string imports included."""
    for name, source in tree.items():
        collector = _Collector(tree, name)
        collector.visit(_parse(source))
        yield from collector.found


def _top(name: str) -> str:
    return name.split(".")[0]


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def channel_imports_of_core(tree: Tree) -> list[tuple[str, str, str]]:
    """(core module, channel module, where) for every way the core names a channel: imports,
    string imports, and dotted strings such as a lazy model reference ("vision.Camera")."""
    found = [(i.source, i.target, i.where()) for i in imports(tree)
             if _in(i.source, CORE) and i.source not in WIRING and _top(i.target) in CHANNELS]
    for name, source in tree.items():
        if not _in(name, CORE) or name in WIRING:
            continue
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value) \
                    and _top(node.value) in CHANNELS:
                found.append((name, _resolve(tree, node.value), f"{name}:{node.lineno}"))
    return sorted(set(found))


def demo_importers(tree: Tree) -> list[str]:
    """Where a module outside `demo/`, the tests and the benchmarks names the demo app: an
    import (at any depth, or through `import_string`) or a dotted string naming one of its
    modules (`"demo.city.load_demo"`; a bare `"demo"` may be an app label or a word)."""
    found = [f"{i.where()} imports {i.target}" for i in imports(tree)
             if _top(i.source) not in DEMO_USERS and i.source not in WIRING and _in(i.target, DEMO)]
    for name, source in tree.items():
        if _top(name) in DEMO_USERS or name in WIRING:
            continue
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value) \
                    and _in(_resolve(tree, node.value), DEMO) and _resolve(tree, node.value) != DEMO:
                found.append(f"{name}:{node.lineno} names {node.value}")
    return sorted(set(found))


def worker_breaches(tree: Tree) -> list[str]:
    """Imports of the worker (and of the package inits Python runs to reach it) that leave it."""
    on_path = {WORKER.rpartition(".")[0]}  # vision/__init__.py runs before the worker's code
    out = []
    for i in imports(tree):
        if not (_in(i.source, WORKER) or i.source in on_path):
            continue
        outside_project = _top(i.target) not in TOP_PACKAGES
        if _top(i.target) in ("django", "rest_framework") or i.source in on_path \
                or not (outside_project or _in(i.target, WORKER)):
            out.append(f"{i.where()} imports {i.target}")
    return out


def cycles(tree: Tree, with_deferred: bool = True) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {name: set() for name in tree}
    for i in imports(tree):
        if i.target in tree and i.target != i.source and (with_deferred or not i.deferred):
            graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_aliases(tree: Tree, source: str, node: ast.AST) -> dict[str, str]:
    """Local names bound to a module of the tree by `import a.b as x` or `from a import b`."""
    bound = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Import):
            bound.update({a.asname: a.name for a in n.names if a.asname and a.name in tree})
        elif isinstance(n, ast.ImportFrom):
            base = _absolute(tree, source, n.module, n.level)
            bound.update({a.asname or a.name: f"{base}.{a.name}" for a in n.names if f"{base}.{a.name}" in tree})
    return bound


def private_imports(tree: Tree) -> list[str]:
    """`from module import _name`, or `module._name`, where module is another module of the
    project."""
    found = [f"{i.where()} takes {name} from {i.target}" for i in imports(tree) if i.target in tree
             for name in i.names if _private(name)]
    for source, text in tree.items():
        syntax = _parse(text)
        # A name also bound otherwise (a variable, an argument) may not be the module there.
        rebound = {n.id for n in ast.walk(syntax) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        rebound |= {n.arg for n in ast.walk(syntax) if isinstance(n, ast.arg)}
        aliases = {name: module for name, module in _module_aliases(tree, source, syntax).items() if name not in rebound}
        found += [f"{source}:{n.lineno} takes {n.attr} from {aliases[n.value.id]}" for n in ast.walk(syntax)
                  if isinstance(n, ast.Attribute) and _private(n.attr) and isinstance(n.value, ast.Name)
                  and aliases.get(n.value.id, source) != source]
    return found


# --- the project ------------------------------------------------------------------------

TREE = project_tree()


def test_the_core_imports_no_channel_or_view():
    found = channel_imports_of_core(TREE)
    unknown = [f for f in found if (f[0], f[1]) not in KNOWN_CHANNEL_IMPORTS]
    assert unknown == []
    stale = set(KNOWN_CHANNEL_IMPORTS) - {(f[0], f[1]) for f in found}
    assert stale == set(), "no longer happens: remove it from KNOWN_CHANNEL_IMPORTS"


def test_nothing_imports_the_demo_but_its_commands_tests_and_benchmarks():
    assert demo_importers(TREE) == []


def test_the_worker_imports_no_django_and_nothing_of_the_project():
    assert worker_breaches(TREE) == []


def test_no_import_cycles_between_modules():
    assert cycles(TREE) == []


def test_no_private_name_is_imported_across_modules():
    assert private_imports(TREE) == []


def test_the_checker_sees_the_whole_project():
    assert {"urbanmgmt.cases.services", "vision.worker.pipeline", "maps.views", "collectors_app.api",
            "bench.common", "demo.city", "demo.management.commands.load_demo"} <= set(TREE)


# --- the checker fails where it must ----------------------------------------------------

def test_a_core_module_importing_a_channel_is_caught():
    tree = {"urbanmgmt.cases.report": "from vision.models import Camera\n", "vision.models": ""}
    assert channel_imports_of_core(tree) == [("urbanmgmt.cases.report", "vision.models", "urbanmgmt.cases.report:1")]


def test_a_core_module_reaching_a_channel_by_string_or_inside_a_function_is_caught():
    tree = {
        "urbanmgmt.org.load": 'from django.utils.module_loading import import_string\n'
                              'def go():\n    import_string("vision.demo.load")()\n',
        "urbanmgmt.cases.late": "def go():\n    import maps.layers\n",
        "urbanmgmt.cases.fk": 'from django.db import models\ncamera = models.ForeignKey("vision.Camera", on_delete=None)\n',
        "urbanmgmt.settings": 'INSTALLED_APPS = ["vision.apps.VisionConfig"]\n',
        "vision.demo": "", "maps.layers": "",
    }
    assert [f[:2] for f in channel_imports_of_core(tree)] == [
        ("urbanmgmt.cases.fk", "vision.Camera"), ("urbanmgmt.cases.late", "maps.layers"),
        ("urbanmgmt.org.load", "vision.demo")]


def test_a_channel_importing_the_core_is_allowed():
    tree = {"vision.services": "from urbanmgmt.cases import services\n", "urbanmgmt.cases.services": ""}
    assert channel_imports_of_core(tree) == []


def test_a_production_module_importing_the_demo_is_caught():
    tree = {
        "demo": "", "demo.city": "def load_demo():\n    pass\n", "demo.synth": "",
        "demo.management.commands.load_demo": "from demo.city import load_demo\n",
        "urbanmgmt.org.services": "def go():\n    from demo.city import load_demo\n",
        "vision.views": "from demo import synth\n",
        "maps.layers": 'from django.utils.module_loading import import_string\nimport_string("demo.city.load_demo")\n',
        "collectors_app.api": 'APP = "demo"\nHOST = "demo.example.org"\n',
        "tests.test_x": "from demo.city import load_demo\n", "bench.bench_x": "import demo.synth\n",
        "urbanmgmt.settings": 'INSTALLED_APPS = ["demo.apps.DemoConfig"]\n',
    }
    assert demo_importers(tree) == ["maps.layers:2 imports demo.city", "maps.layers:2 names demo.city.load_demo",
                                    "urbanmgmt.org.services:2 imports demo.city", "vision.views:1 imports demo.synth"]


def test_the_worker_importing_django_or_the_project_is_caught():
    tree = {
        "vision": "", "vision.worker": "", "vision.models": "",
        "vision.worker.post": "import json\nimport cv2\nfrom . import zones\nfrom django.conf import settings\n",
        "vision.worker.zones": "def f():\n    from vision.models import Zone\n",
    }
    assert worker_breaches(tree) == ["vision.worker.post:4 imports django.conf",
                                     "vision.worker.zones:2 imports vision.models"]
    assert worker_breaches({**tree, "vision": "import django\n"})[0] == "vision:1 imports django"


def test_a_cycle_is_caught_even_through_a_function_level_import():
    tree = {"p.a": "from p import b\n", "p.b": "def f():\n    from p.a import x\n", "p.c": "import p.a\n"}
    assert cycles(tree) == [["p.a", "p.b"]]
    assert cycles(tree, with_deferred=False) == []


def test_a_private_name_taken_from_another_module_is_caught():
    tree = {"p": "", "p.a": "from p.b import _hidden, shown\nfrom p.b import __version__\n", "p.b": "",
            "p.c": "from p import b\nimport p.b as bee\nb._at(1)\nbee.__name__\nbee._cache.clear()\n"}
    assert private_imports(tree) == ["p.a:1 takes _hidden from p.b", "p.c:3 takes _at from p.b",
                                     "p.c:5 takes _cache from p.b"]
