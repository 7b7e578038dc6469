"""The documentation stays true to the repository: every environment variable the code
reads is in docs/operations.md (and none that it no longer reads), and every link of the
README and docs/ leads to a file (and heading) of this repository."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Where settings are read: the apps, the plumbing, the scripts and the tests (a browser
# path, CI). The benchmark documents its own variables in bench/README.md.
PYTHON_SOURCES = [
    "config",
    "accounts",
    "tasks",
    "blog",
    "analytics",
    "transfer",
    "scripts",
    "tests",
]
SHELL_SOURCES = ["scripts/*.sh", "Procfile", "Makefile", ".ci/run"]
# config/env.py's readers, whose first argument is a variable's name.
ENV_READERS = {
    "env", "env_bool", "env_int", "env_list", "env_rates", "env_email", "env_int_map",
    "env_networks",
}  # fmt: skip
# Read, but not ours to document: Django's own.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}
# `${NAME:-default}` or `${NAME-default}` in a script: a variable with a default is a setting
# (PATH or PWD, used bare, are not).
SHELL_DEFAULTED = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?[-=]")
NAME_IN_CELL = re.compile(r"`([A-Z][A-Z0-9_]*)`")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _reads_environment(func: ast.AST, readers: set[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in readers
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in {"get", "setdefault"}:
        return _is_os_environ(func.value)
    return func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os"


def _first_string(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def python_variables(source: str, *, readers: set[str] = ENV_READERS) -> set[str]:
    """Names read with config.env's readers, os.environ.get/setdefault/[...], os.getenv."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and _reads_environment(node.func, readers):
            name = _first_string(node)
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                name = key.value
        if name and name.isupper():
            names.add(name)
    return names


def variables_read(root: Path = ROOT) -> set[str]:
    names: set[str] = set()
    for package in PYTHON_SOURCES:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                # The tests call config.env's readers on made-up names to test them.
                readers = set() if package == "tests" else ENV_READERS
                names |= python_variables(path.read_text(), readers=readers)
    for pattern in SHELL_SOURCES:
        for path in root.glob(pattern):
            names |= set(SHELL_DEFAULTED.findall(path.read_text()))
    return names - NOT_SETTINGS


def documented_variables(markdown: str) -> set[str]:
    """The names in the first column of the tables of the "Environment variables"
    section (a row may name several: `A` / `B`)."""
    section = markdown.split("\n## Environment variables", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            names |= set(NAME_IN_CELL.findall(line.split("|")[1]))
    return names


def test_every_variable_read_is_documented():
    missing = variables_read() - documented_variables(OPERATIONS.read_text())
    assert not missing, f"add to docs/operations.md, Environment variables: {sorted(missing)}"


def test_every_variable_documented_is_still_read():
    stale = documented_variables(OPERATIONS.read_text()) - variables_read()
    assert not stale, f"no code reads these any more: {sorted(stale)}"


def test_the_check_sees_a_new_variable(tmp_path):
    """The check itself works: a variable read in a module, a script or the Procfile and
    missing from the table is found."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.py").write_text(
        'import os\nA = env_int("NEW_LIMIT", 3)\nB = os.environ["NEW_URL"]\n'
        'C = os.environ.get("DJANGO_SETTINGS_MODULE")\n'
    )
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "run.sh").write_text('echo "${NEW_PORT:-1}" "$PATH"\n')
    (tmp_path / "Procfile").write_text("web: serve --workers ${NEW_WORKERS:-2}\n")
    doc = (
        "# Ops\n\n## Environment variables\n\n| variable | default |\n|---|---|\n"
        "| `NEW_LIMIT` / `NEW_URL` | 3 |\n\n## Next\n\n| `NEW_PORT` | not this table |\n"
    )

    missing = variables_read(tmp_path) - documented_variables(doc)

    assert missing == {"NEW_PORT", "NEW_WORKERS"}


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return LINK.findall(text)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(document):
    broken = []
    for link in _links(document):
        if re.match(r"[a-z]+:", link):  # https:, mailto:: outside, not checked
            continue
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        if ROOT not in path.parents and path != ROOT:
            broken.append(f"{link} (outside the repository)")
        elif not path.exists():
            broken.append(f"{link} (no such file)")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link} (no such heading)")
    assert not broken, f"{document.name}: {broken}"


def test_the_readme_leads_into_docs():
    links = set(_links(ROOT / "README.md"))
    for page in ("docs/api.md", "docs/architecture.md", "docs/operations.md"):
        assert page in links


def test_no_document_points_outside_the_repository():
    outside = "../" + "shared"
    for document in DOCUMENTS:
        assert outside not in document.read_text(), document
