"""A client generated from the schema (openapi-python-client) types every response.

`_parse_response` of a generated endpoint module returns a model per documented status;
a status documented without a body becomes `cast(Any, None)`: the caller gets nothing
typed. Only 204 and 304 may be bodiless.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

BODILESS = {"204", "304"}
_BRANCH = re.compile(
    r"if response\.status_code == (\d+):\n\s+response_\d+ = (?P<value>[^\n]+)", re.MULTILINE
)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("client")
    schema = root / "schema.json"
    schema.write_text(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    config = root / "config.json"
    # No formatting hook: the generated code is read, not kept.
    config.write_text(json.dumps({"post_hooks": []}))
    output = root / "client"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            f"--path={schema}",
            f"--config={config}",
            f"--output-path={output}",
            "--meta=none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def _endpoint_modules(package: Path) -> list[Path]:
    return sorted(p for p in (package / "api").rglob("*.py") if p.name != "__init__.py")


def test_every_operation_is_generated(client_package):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = sum(
        1
        for item in schema["paths"].values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )
    assert len(_endpoint_modules(client_package)) == operations


def test_every_success_response_is_typed(client_package):
    untyped = []
    for module in _endpoint_modules(client_package):
        for status, value in _BRANCH.findall(module.read_text()):
            if status.startswith("2") and status not in BODILESS and "cast(Any" in value:
                untyped.append(f"{module.stem}: {status}")
    assert untyped == []


def test_every_error_is_a_problem(client_package):
    untyped = []
    for module in _endpoint_modules(client_package):
        for status, value in _BRANCH.findall(module.read_text()):
            if status[0] in "45" and not value.startswith("Problem.from_dict("):
                untyped.append(f"{module.stem}: {status} -> {value}")
    assert untyped == []
