"""`GET /api/v1/posts/{slug}/stats/` is analytics' endpoint under the posts' URL, and the
blog imports nothing of analytics (the live view count comes through a port)."""

import ast
from pathlib import Path

from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

import blog
from analytics.api.stats import PostStatsView

BLOG = Path(blog.__file__).parent


def test_the_post_stats_url_resolves_to_analytics():
    assert resolve("/api/v1/posts/some-slug/stats/").func.view_class is PostStatsView
    assert resolve("/api/v1/posts/über-café/stats/").kwargs == {"slug": "über-café"}


def test_the_schema_keeps_the_post_stats_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/posts/{slug}/stats/"]["get"]
    assert operation["operationId"] == "posts_stats_retrieve"
    assert operation["tags"] == ["posts"]
    assert operation["parameters"][0]["schema"]["pattern"] == "^[^/]+$"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PostStats"
    }


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_the_blog_imports_nothing_of_analytics():
    offenders = {
        str(path.relative_to(BLOG.parent)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] == "analytics"
        )
        for path in BLOG.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}
