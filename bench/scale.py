"""Grow a seeded benchmark database to the scale of the time-limit measurements (issue 11).

`bench/seed.py` renders every post's Markdown in Python, about 60 posts a second here:
far too slow for a million. This script clones the posts `seed.py` wrote, in SQL, with
new slugs, authors, sections and dates, keeping their bodies, excerpts, HTML and search
vectors (so a post row weighs what a real one does), and adds what the jobs read around
them:

- users: authors and readers, registered over the range of the posts;
- posts: published over the last `--days` days (`REPORT_MAX_DAYS` is 3 × 366, so an
  "all time" report covers all of them), with the tags of the post they copy;
- comments: 0-6 per post (3 on average), within 30 days of the post;
- per-post daily stats: views on the day of publication and up to 14 days after;
- events: `--old-events` past their retention (dispatched, each with its consumers'
  marks), `--recent-events` within it, `--undispatched` of them waiting for the relay;
- job records: `--old-jobs` finished ones past their retention, `--recent-jobs` within.

Not copied: revisions (one per post in real life; no job reads them) and the search
index's GIN index is rebuilt only with `--search-index` (minutes; no job uses it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blog_measure \\
        python bench/seed.py --posts 5000 && python bench/scale.py --posts 1000000

Idempotent per part: each part tops its table up to the asked number.
"""

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

CHUNK = 50_000


@contextmanager
def step(label: str) -> Iterator[None]:
    started = time.monotonic()
    print(f"{label} ...", flush=True)
    yield
    print(f"{label}: {time.monotonic() - started:.0f} s", flush=True)


def scalar(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return int(cursor.fetchone()[0] or 0)


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def add_users(*, authors: int, readers: int, days: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM accounts_user ORDER BY id LIMIT 1")
        password = cursor.fetchone()[0]
    for role, prefix, count in (
        ("author", "scale-author", authors),
        ("reader", "scale-reader", readers),
    ):
        have = scalar("SELECT count(*) FROM accounts_user WHERE username LIKE %s", [prefix + "-%"])
        if have >= count:
            continue
        with step(f"{count - have} {role}s"):
            execute(
                f"""
                INSERT INTO accounts_user (password, is_superuser, username, first_name,
                    last_name, email, is_staff, is_active, date_joined, role, display_name,
                    bio, email_notifications, last_login)
                SELECT %s, false, '{prefix}-' || g, '', '', '{prefix}-' || g || '@example.com',
                    false, random() > 0.02, joined, %s, initcap('{role} ' || g), '', true,
                    CASE WHEN random() < 0.6 THEN joined + random() * (now() - joined) END
                FROM (SELECT g, now() - random() * make_interval(days => %s) AS joined
                      FROM generate_series(%s, %s) AS g) AS s
                """,  # noqa: S608 - the script's constants, no input
                [password, role, days, have + 1, count],
            )


def add_posts(*, posts: int, days: int) -> None:
    have = scalar("SELECT count(*) FROM blog_post")
    if have >= posts:
        return
    pool = scalar("SELECT count(*) FROM blog_post WHERE slug LIKE 'bench-%%'")
    execute("DROP INDEX IF EXISTS post_search_vector_idx")
    # Numbered ids, so that a random number picks one in a join.
    for name, source in (
        ("pool", "blog_post WHERE slug LIKE 'bench-%%'"),
        ("authors", "accounts_user WHERE role = 'author'"),
        ("readers", "accounts_user WHERE role <> 'author'"),
        ("cats", "blog_category"),
    ):
        execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} AS "  # noqa: S608 - constants
            f"SELECT row_number() OVER (ORDER BY id) AS rn, id FROM {source}"
        )
    n_authors = scalar("SELECT count(*) FROM authors")
    n_readers = scalar("SELECT count(*) FROM readers")
    n_cats = scalar("SELECT count(*) FROM cats")
    first = 1 + scalar(
        "SELECT coalesce(max(substr(slug, 7)::int), 0) FROM blog_post WHERE slug LIKE 'scale-%%'"
    )
    last = first + (posts - have) - 1
    for lo in range(first, last + 1, CHUNK):
        hi = min(lo + CHUNK - 1, last)
        with step(f"posts {lo}-{hi} of {first}-{last}"):
            execute("DROP TABLE IF EXISTS chunk")
            execute(
                """
                CREATE TEMP TABLE chunk AS
                SELECT nextval('blog_post_id_seq') AS id, g, (g %% %s) + 1 AS prn,
                       floor(random() * %s)::int + 1 AS arn,
                       CASE WHEN random() >= 0.1 THEN floor(random() * %s)::int + 1 END AS crn,
                       now() - random() * make_interval(days => %s) AS published_at,
                       floor(random() * 7)::int AS ncom,
                       floor(random() * 15)::int AS ndays
                FROM generate_series(%s, %s) AS g
                """,
                [pool, n_authors, n_cats, days, lo, hi],
            )
            execute(
                """
                INSERT INTO blog_post (id, title, slug, excerpt, body, body_html, status,
                    allow_comments, publish_at, published_at, created_at, updated_at,
                    reading_time_minutes, view_count, comment_count, search_vector,
                    author_id, category_id)
                SELECT c.id, p.title, 'scale-' || c.g, p.excerpt, p.body, p.body_html, 'published',
                    true, NULL, c.published_at, c.published_at, c.published_at,
                    p.reading_time_minutes, floor(random() * 50000)::int, c.ncom, p.search_vector,
                    a.id, cat.id
                FROM chunk c JOIN pool ON pool.rn = c.prn JOIN blog_post p ON p.id = pool.id
                JOIN authors a ON a.rn = c.arn LEFT JOIN cats cat ON cat.rn = c.crn
                """
            )
            execute(
                """
                INSERT INTO blog_post_tags (post_id, tag_id)
                SELECT c.id, t.tag_id FROM chunk c JOIN pool ON pool.rn = c.prn
                JOIN blog_post_tags t ON t.post_id = pool.id
                """
            )
            # One comment in ten by an author, the rest by readers.
            execute(
                """
                INSERT INTO blog_comment (body, status, created_at, updated_at, author_id, post_id)
                SELECT 'A comment about ' || left(p.title, 60) || ', number ' || k || '.',
                    'approved', s.at, s.at, coalesce(a.id, r.id), s.id
                FROM (SELECT c.id, c.prn, k,
                        least(now(), c.published_at + random() * interval '30 days') AS at,
                        CASE WHEN random() < 0.1 THEN floor(random() * %s)::int + 1 END AS arn,
                        floor(random() * %s)::int + 1 AS rrn
                      FROM chunk c, generate_series(1, c.ncom) AS k) AS s
                JOIN pool ON pool.rn = s.prn JOIN blog_post p ON p.id = pool.id
                LEFT JOIN authors a ON a.rn = s.arn JOIN readers r ON r.rn = s.rrn
                """,
                [n_authors, n_readers],
            )
            execute(
                """
                INSERT INTO analytics_postdailystats (post_id, date, views, comments)
                SELECT c.id, (c.published_at AT TIME ZONE 'UTC')::date + d,
                    floor(random() * 2000 / (d + 1))::int, 0
                FROM chunk c, generate_series(0, c.ndays) AS d
                WHERE (c.published_at AT TIME ZONE 'UTC')::date + d
                    <= (now() AT TIME ZONE 'UTC')::date
                """
            )


def add_events(*, old: int, recent: int, undispatched: int) -> None:
    types = [
        "post.created", "post.published", "post.updated", "comment.created",
        "comment.moderated", "user.registered", "user.logged_in", "tag.created",
    ]  # fmt: skip
    type_array = "ARRAY[" + ",".join(f"'{t}'" for t in types) + "]"
    parts = (
        # past every retention (365 days; 90 for logins): 400-700 days old
        ("old", old, "now() - interval '400 days' - random() * interval '300 days'", "now()"),
        ("recent", recent, "now() - random() * interval '300 days'", "now()"),
        (
            "undispatched",
            undispatched,
            "now() - interval '1 min' - random() * interval '1 h'",
            "NULL",
        ),
    )
    for label, count, occurred, dispatched in parts:
        have = scalar(
            "SELECT count(*) FROM analytics_event WHERE request_id = %s", [f"scale-{label}"]
        )
        for lo in range(have, count, 200_000):
            hi = min(lo + 200_000, count)
            with step(f"{label} events {lo}-{hi}"):
                execute(
                    f"""
                    INSERT INTO analytics_event (id, type, occurred_at, aggregate_type,
                        aggregate_id, data, request_id, dispatched_at, actor_id)
                    SELECT gen_random_uuid(), t, at, split_part(t, '.', 1), (g %% 100000)::text,
                        jsonb_build_object('slug', 'scale-' || g, 'author_id', g %% 1000),
                        'scale-{label}', {dispatched}, NULL
                    FROM (SELECT g, ({type_array})[1 + g %% {len(types)}] AS t, {occurred} AS at
                          FROM generate_series(%s, %s) AS g) AS s
                    """,  # noqa: S608 - the script's constants, no input
                    [lo + 1, hi],
                )
        if dispatched != "NULL" and have < count:
            with step(f"consumers' marks of the {label} events"):
                # Every event goes to the webhooks consumer; most to the analytics roll-up.
                execute(
                    """
                    INSERT INTO analytics_consumedevent (consumer, event_id, consumed_at)
                    SELECT x.consumer, e.id, e.occurred_at FROM analytics_event e
                    CROSS JOIN (VALUES ('webhooks'), ('analytics')) AS x(consumer)
                    WHERE e.request_id = %s
                      AND (x.consumer = 'webhooks' OR e.type NOT LIKE 'user.%%')
                    ON CONFLICT DO NOTHING
                    """,
                    [f"scale-{label}"],
                )


def add_jobs(*, old: int, recent: int) -> None:
    names = [
        "analytics.consume_event", "analytics.flush_view_counts", "blog.publish_due_posts",
        "analytics.relay_events", "tasks.send_email", "analytics.deliver_webhook",
    ]  # fmt: skip
    name_array = "ARRAY[" + ",".join(f"'{n}'" for n in names) + "]"
    for label, count, created in (
        ("old", old, "now() - interval '31 days' - random() * interval '60 days'"),
        ("recent", recent, "now() - random() * interval '29 days'"),
    ):
        have = scalar(
            "SELECT count(*) FROM tasks_jobrecord WHERE request_id = %s", [f"scale-{label}"]
        )
        for lo in range(have, count, 200_000):
            hi = min(lo + 200_000, count)
            with step(f"{label} job records {lo}-{hi}"):
                execute(
                    f"""
                    INSERT INTO tasks_jobrecord (id, name, queue, priority, status, arguments,
                        attempts, max_attempts, created_at, started_at, finished_at, duration_ms,
                        result, error, traceback, request_id, dispatch, worker)
                    SELECT gen_random_uuid(), n, 'default', 'default',
                        CASE WHEN g %% 50 = 0 THEN 'failed' ELSE 'completed' END,
                        jsonb_build_object('args',
                            jsonb_build_array('analytics', gen_random_uuid()::text)),
                        1, 6, at, at, at + interval '40 ms', 40, '"ok"'::jsonb, '', '',
                        'scale-{label}', 1, 'celery@scale'
                    FROM (SELECT g, ({name_array})[1 + g %% {len(names)}] AS n, {created} AS at
                          FROM generate_series(%s, %s) AS g) AS s
                    """,  # noqa: S608 - the script's constants, no input
                    [lo + 1, hi],
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=3 * 365, help="posts published over")
    parser.add_argument("--authors", type=int, default=1_000)
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--old-events", type=int, default=1_000_000)
    parser.add_argument("--recent-events", type=int, default=1_000_000)
    parser.add_argument("--undispatched", type=int, default=10_000)
    parser.add_argument("--old-jobs", type=int, default=1_000_000)
    parser.add_argument("--recent-jobs", type=int, default=200_000)
    parser.add_argument("--search-index", action="store_true", help="rebuild the GIN index")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded by bench/seed.py.")
    if not scalar("SELECT count(*) FROM blog_post WHERE slug LIKE 'bench-%%'"):
        sys.exit("Run bench/seed.py first: its posts are the ones cloned.")
    started = time.monotonic()
    execute("SET synchronous_commit = off")
    add_users(authors=args.authors, readers=args.readers, days=args.days)
    add_posts(posts=args.posts, days=args.days)
    add_events(old=args.old_events, recent=args.recent_events, undispatched=args.undispatched)
    add_jobs(old=args.old_jobs, recent=args.recent_jobs)
    if args.search_index:
        with step("search index"):
            execute(
                "CREATE INDEX IF NOT EXISTS post_search_vector_idx"
                " ON blog_post USING gin (search_vector)"
            )
    with step("VACUUM ANALYZE"):
        execute("VACUUM ANALYZE")
    print(f"Scaled in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
