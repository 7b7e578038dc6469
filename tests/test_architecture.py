"""The layers of the code, checked on its imports.

config's plumbing < accounts < tasks < blog < analytics < transfer: a module never imports one of a
higher layer, not even inside a function or under `TYPE_CHECKING`. Higher apps register
with lower ones instead (event types, metrics sources, consumers, beat entries). The
wiring (config.settings, urls, wsgi, asgi, celery, gunicorn, and `config/__init__.py`,
which loads the Celery app) and every app's `apps.py` put the layers together, so they may
import anything; and no module may import them, save another wiring module. No module
imports another that imports it back, however indirectly.

Imports are read with `ast`, not by importing: every `import` and `from ... import`
statement anywhere in a module counts, relative ones resolved. `from pkg import name` is
an import of the module `pkg.name` when there is one, else of `pkg`; `import a.b.c` is
an import of `a.b.c`: a package's `__init__` counts only when the code names the package
itself. Migrations are left out (they name models by string).

`python -m tests.test_architecture` prints the imports between packages, pair by pair.
"""

import ast
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first.
LAYERS = ("config", "accounts", "tasks", "blog", "analytics", "transfer")
WIRING = frozenset(
    {
        "config",
        "config.settings",
        "config.urls",
        "config.wsgi",
        "config.asgi",
        "config.celery",
        "config.gunicorn",
    }
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def modules_find(root: Path, packages: Iterable[str] = LAYERS) -> dict[str, Module]:
    """Every module of the given top-level packages, by dotted name (migrations left out)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            found[name] = Module(name, path)
    return found


def _known_prefix(name: str, modules: dict[str, Module]) -> str | None:
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imported_names(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names a statement imports, relative ones made absolute."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        package = module.name.split(".")
        if not module.is_package:
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    for alias in node.names:
        yield f"{base}.{alias.name}" if alias.name != "*" else base


def imports_of(module: Module, modules: dict[str, Module]) -> set[str]:
    """The known modules `module` imports, wherever the statement is."""
    tree = ast.parse(module.path.read_text(), filename=str(module.path))
    targets = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for name in _imported_names(module, node):
            # `from pkg import name`: the module pkg.name if there is one, else pkg.
            target = _known_prefix(name, modules)
            if target is not None and target != module.name:
                targets.add(target)
    return targets


def import_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    return {name: imports_of(module, modules) for name, module in modules.items()}


def _is_wiring(name: str) -> bool:
    return name in WIRING or name.rsplit(".", 1)[-1] == "apps"


def layer_of(name: str) -> int:
    """The module's layer: its package's rank; the wiring is above every layer."""
    if _is_wiring(name):
        return len(LAYERS)
    return LAYERS.index(name.split(".")[0])


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """`importer -> imported` for each import of a higher layer (the wiring exempt)."""
    return sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        if not _is_wiring(source)
        for target in targets
        if layer_of(target) > layer_of(source)
    )


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative: no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return sorted(cycles)


def package_pairs(graph: dict[str, set[str]]) -> Counter[tuple[str, str]]:
    """Module-to-module imports between different top-level packages, per ordered pair."""
    return Counter(
        (source.split(".")[0], target.split(".")[0])
        for source, targets in graph.items()
        for target in targets
        if source.split(".")[0] != target.split(".")[0]
    )


# --- the checks ----------------------------------------------------------------------------


def _graph() -> dict[str, set[str]]:
    return import_graph(modules_find(ROOT))


# Violations tolerated while being removed: none now. An entry that no longer happens
# fails the test, so the list can only shrink.
KNOWN_VIOLATIONS: frozenset[str] = frozenset()


def test_no_module_imports_a_higher_layer():
    violations = layer_violations(_graph())
    new = [line for line in violations if line not in KNOWN_VIOLATIONS]
    assert not new, "imports of a higher layer:\n  " + "\n  ".join(new)
    gone = sorted(KNOWN_VIOLATIONS - set(violations))
    assert not gone, "fixed, so to be taken off KNOWN_VIOLATIONS: " + ", ".join(gone)


def test_no_import_cycles():
    cycles = import_cycles(_graph())
    assert not cycles, "import cycles:\n  " + "\n  ".join(" <-> ".join(c) for c in cycles)


# --- the walker finds what it must, on a tree made for it -----------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_walker_catches_violations_and_cycles(tmp_path):
    _write(
        tmp_path,
        {
            "config/__init__.py": "from config.celery import app\n",
            "config/celery.py": "import analytics.jobs\n",
            "config/errors.py": "",
            "config/events/__init__.py": "",
            # A relative import, and one inside a function: both count.
            "config/events/bus.py": "from ..errors import X\n\ndef f():\n    import blog.models\n",
            "config/migrations/0001_initial.py": "import analytics.models\n",
            "accounts/__init__.py": "",
            "accounts/apps.py": "from analytics import jobs\n",
            # `from pkg import module` is an import of the module, not of the package.
            "accounts/models.py": "from config import errors\n",
            "accounts/lockout.py": "from config import celery\n",
            "tasks/__init__.py": "import blog\n",
            "blog/__init__.py": "",
            "blog/models.py": "from typing import TYPE_CHECKING\n"
            "from accounts.models import User\n"
            "if TYPE_CHECKING:\n    from analytics.models import Event\n",
            # A cycle of three, one edge relative, one naming a name in a module.
            "blog/a.py": "from . import b\n",
            "blog/b.py": "from blog.c import thing\n",
            "blog/c.py": "from .a import other\n",
            "analytics/__init__.py": "",
            "analytics/jobs.py": "from analytics.models import Event\n",
            "analytics/models.py": "from accounts.models import User\n",
        },
    )
    modules = modules_find(tmp_path)
    assert "config.migrations.0001_initial" not in modules
    graph = import_graph(modules)

    assert graph["accounts.models"] == {"config.errors"}
    assert graph["config.events.bus"] == {"config.errors", "blog.models"}
    assert graph["blog.a"] == {"blog.b"}
    assert layer_violations(graph) == [
        # Plumbing must not import the wiring either.
        "accounts.lockout -> config.celery",
        # Under TYPE_CHECKING too.
        "blog.models -> analytics.models",
        "config.events.bus -> blog.models",
        "tasks -> blog",
    ]
    assert import_cycles(graph) == [["blog.a", "blog.b", "blog.c"]]
    assert package_pairs(graph)[("blog", "accounts")] == 1


def test_the_walker_lets_the_wiring_import_anything(tmp_path):
    _write(
        tmp_path,
        {
            "config/__init__.py": "",
            "config/urls.py": "import analytics.api\n",
            "config/apps.py": "import analytics.api\n",
            "analytics/__init__.py": "",
            "analytics/api.py": "",
            "analytics/apps.py": "import config.urls\n",
        },
    )
    assert layer_violations(import_graph(modules_find(tmp_path))) == []


def main() -> None:
    graph = _graph()
    for (source, target), n in sorted(package_pairs(graph).items()):
        print(f"{source:>9} -> {target:<9} {n}")
    violations = layer_violations(graph)
    cycles = import_cycles(graph)
    print(f"{len(violations)} layer violation(s), {len(cycles)} cycle(s)")
    for line in violations:
        print("  ", line)
    for cycle in cycles:
        print("   cycle:", " <-> ".join(cycle))


if __name__ == "__main__":
    main()
