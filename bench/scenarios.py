"""What each scenario requests: the same URLs for the load generator and the query count.

A scenario is a list of requests that the load generator cycles through. Reads hit a small
fixed set (a few hot posts, a mix of list filters, a few search terms), which is what a
cache serves in practice: after the warm-up every cached read is a hit.
"""

from dataclasses import asdict, dataclass, field
from urllib.parse import quote_plus

import psycopg

API = "/api/v1"
HOT_POSTS = 20
SEARCH_TERMS = [
    "redis",
    "redis cache",
    "postgres index",
    "election",
    "bike lane",
    "deadlock timeout",
    "celery worker",
    '"rollback"',
]
COMMENT_BODY = "Benchmark comment: thanks, this was useful."
# The readers that create comments (one token each), with the password of every bench user.
COMMENTERS = [f"bench-reader-{i:02d}" for i in range(8)]
PASSWORD = "bench-pass-2026!"


@dataclass
class Request:
    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None


@dataclass
class Scenario:
    name: str
    description: str
    requests: list[Request]
    # Whether the read cache may serve it (its queries must then be 0 after the warm-up).
    cacheable: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Scenario":
        return cls(**{**data, "requests": [Request(**r) for r in data["requests"]]})


def _column(conn, sql: str, *params) -> list:
    return [row[0] for row in conn.execute(sql, params).fetchall()]


def build(database_url: str, tokens: list[str]) -> list[Scenario]:
    """The scenarios, with slugs read from the seeded database and the commenters' tokens."""
    with psycopg.connect(database_url) as conn:
        recent = _column(
            conn,
            "SELECT slug FROM blog_post WHERE status = 'published' "
            "ORDER BY published_at DESC, id DESC LIMIT %s",
            HOT_POSTS,
        )
        # Comments go to other posts than the hot ones the read scenarios use.
        to_comment = _column(
            conn,
            "SELECT slug FROM blog_post WHERE status = 'published' AND allow_comments "
            "ORDER BY published_at DESC, id DESC OFFSET 100 LIMIT 50",
        )
        categories = _column(conn, "SELECT slug FROM blog_category ORDER BY slug LIMIT 3")
        tags = _column(
            conn,
            "SELECT t.slug FROM blog_tag t JOIN blog_post_tags pt ON pt.tag_id = t.id "
            "GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 30",
        )
    if len(recent) < HOT_POSTS or not categories or len(tags) < 30 or not to_comment:
        raise SystemExit("The benchmark database is not seeded (bench/seed.py).")

    lists = [
        "",
        "?page_size=50",
        "?ordering=-view_count",
        *(f"?category={slug}" for slug in categories),
        f"?tag={tags[0]}",  # a popular tag
        f"?tag={tags[9]}",
        f"?tag={tags[29]}",  # a rarer one
        f"?category={categories[0]}&tag={tags[1]}",
    ]
    comment_requests = [
        Request(
            path=f"{API}/posts/{slug}/comments/",
            method="POST",
            headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            body=f'{{"body": "{COMMENT_BODY}"}}',
        )
        for i, slug in enumerate(to_comment)
    ]
    for request in comment_requests:
        request.headers["Content-Type"] = "application/json"
    return [
        Scenario(
            "ping",
            "GET /ping/: the trivial view, the stack's ceiling",
            [Request(f"{API}/ping/")],
        ),
        Scenario(
            "post_detail",
            f"GET /posts/<slug>/ over {HOT_POSTS} recent posts",
            [Request(f"{API}/posts/{slug}/") for slug in recent],
            cacheable=True,
        ),
        Scenario(
            "post_list",
            f"GET /posts/ with {len(lists)} filter sets (category, tag, page_size, ordering)",
            [Request(f"{API}/posts/{query}") for query in lists],
            cacheable=True,
        ),
        Scenario(
            "search",
            f"GET /posts/?search= with {len(SEARCH_TERMS)} terms",
            [Request(f"{API}/posts/?search={quote_plus(term)}") for term in SEARCH_TERMS],
        ),
        Scenario(
            "comment_create",
            f"POST /posts/<slug>/comments/ by {len(tokens)} readers on {len(to_comment)} posts",
            comment_requests,
        ),
    ]
