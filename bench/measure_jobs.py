"""Run time and peak memory of the longest jobs at scale (issue 11: time limits).

Each case runs in a fresh process (so its peak RSS, `ru_maxrss`, is its own), in-process
(no worker: the job's own function or service, timed around the call), against a
database grown by `bench/scale.py`. It measures and does not assert; the figures go to
docs/operations.md ("Time limits").

    DATABASE_URL=... REDIS_URL=... python bench/measure_jobs.py            # every case
    DATABASE_URL=... REDIS_URL=... python bench/measure_jobs.py --only report:content

Cases: `report:<kind>:<format>:<range>` (range `year` = the last 365 days, `all` = the
longest range a report may span, REPORT_MAX_DAYS), `publish_due_posts` (after scheduling
`--due` posts), `relay_events` (one run over the backlog `scale.py` left),
`flush_view_counts` (after counting views of `--viewed` posts in Redis), `purge_jobs`
(the job's function: it stops after PURGE_TIME_BUDGET) and `purge_events` (the service,
without the budget: the whole purge). The purges delete what `scale.py` added: run it
again to refill.

Careful: `flush_view_counts` and `relay_events` write to Redis (REDIS_URL), and the
relay queues its jobs' messages there; use a Redis database of its own.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("content", "engagement", "users")
FORMATS = ("csv", "json")
RANGES = ("year", "all")
OTHER = ("publish_due_posts", "relay_events", "flush_view_counts", "purge_jobs", "purge_events")


def all_cases() -> list[str]:
    reports = [f"report:{k}:{f}:{r}" for k in KINDS for r in RANGES for f in FORMATS]
    return reports + list(OTHER)


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_report(kind: str, fmt: str, span: str) -> dict[str, Any]:
    from django.utils import timezone

    from analytics.models import Report
    from analytics.reports.generation import report_generate
    from analytics.reports.services import REPORT_MAX_DAYS, report_create

    end = timezone.now().date()
    start = end - timedelta(days=(364 if span == "year" else REPORT_MAX_DAYS - 1))
    report = report_create(kind=kind, start=start, end=end, format=fmt)
    started = time.monotonic()
    result = report_generate(report_id=report.pk)
    seconds = time.monotonic() - started
    report = Report.objects.get(pk=report.pk)
    size = report.file.size
    report.file.delete(save=False)
    report.delete()
    return {"seconds": seconds, "rows": result["rows"], "bytes": size}


def schedule_due_posts(count: int) -> None:
    """`count` scheduled posts whose time came a minute ago (copies of seeded ones)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO blog_post (title, slug, excerpt, body, body_html, status,
                allow_comments, publish_at, published_at, created_at, updated_at,
                reading_time_minutes, view_count, comment_count, search_vector, author_id,
                category_id)
            SELECT title, 'due-' || md5(random()::text) || '-' || id, excerpt, body, body_html,
                'scheduled', true, now() - interval '1 minute', NULL, now(), now(),
                reading_time_minutes, 0, 0, search_vector, author_id, category_id
            FROM blog_post WHERE slug LIKE 'bench-%%' ORDER BY id LIMIT %s
            """,
            [count],
        )


def count_views(posts: int) -> None:
    """One pending count per post for `posts` posts, as a minute of views would leave."""
    import random

    from django.db import connection
    from django.utils import timezone

    from analytics import counters
    from config.redis.client import redis_run

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM blog_post ORDER BY random() LIMIT %s", [posts])
        ids = [row[0] for row in cursor.fetchall()]
    day = timezone.now().astimezone(UTC).date().isoformat()

    def add(redis: Any) -> None:
        pipe = redis.pipeline(transaction=False)
        for i, post_id in enumerate(ids, 1):
            pipe.hincrby(counters._pending_key(day), str(post_id), random.randint(1, 20))  # noqa: S311
            if i % 10_000 == 0:
                pipe.execute()
        pipe.sadd(counters._days_key(), day)
        pipe.execute()

    redis_run("bench", add)


def run_case(case: str, options: argparse.Namespace) -> dict[str, Any]:
    if case.startswith("report:"):
        _, kind, fmt, span = case.split(":")
        return run_report(kind, fmt, span)
    out: dict[str, Any] = {}
    if case == "publish_due_posts":
        from blog.services.posts import post_publish_due

        schedule_due_posts(options.due)
        started = time.monotonic()
        out["result"] = len(post_publish_due())
    elif case == "relay_events":
        from analytics.models import Event
        from analytics.outbox import outbox_relay

        out["backlog"] = Event.objects.undispatched().count()
        started = time.monotonic()
        out["result"] = outbox_relay()
    elif case == "flush_view_counts":
        from analytics.services import view_counts_flush

        count_views(options.viewed)
        started = time.monotonic()
        out["result"] = view_counts_flush()
    elif case == "purge_jobs":
        from tasks.tasks import purge_jobs

        started = time.monotonic()
        out["result"] = purge_jobs.run()
    elif case == "purge_events":
        from analytics.retention import event_purge

        started = time.monotonic()
        out["result"] = event_purge()
    else:
        raise SystemExit(f"unknown case {case}")
    out["seconds"] = time.monotonic() - started
    return out


def child(case: str, options: argparse.Namespace) -> None:
    _setup()
    from django.db import connection

    with connection.cursor() as cursor:  # connect before the baseline
        cursor.execute("SELECT 1")
    baseline = _rss_mb()
    out = run_case(case, options)
    out.update(case=case, rss_mb=round(_rss_mb(), 1), rss_baseline_mb=round(baseline, 1))
    print("RESULT " + json.dumps(out, default=str), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated case prefixes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--viewed", type=int, default=100_000)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results"))
    options = parser.parse_args()
    if options.child:
        child(options.child, options)
        return
    prefixes = [p for p in options.only.split(",") if p]
    cases = [c for c in all_cases() if not prefixes or any(c.startswith(p) for p in prefixes)]
    results = []
    env = {**os.environ, "MEDIA_ROOT": os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp()}
    for case in cases:
        load = os.getloadavg()[0]
        proc = subprocess.run(  # noqa: S603 - this script, with a case name
            [sys.executable, __file__, "--child", case, "--due", str(options.due),
             "--viewed", str(options.viewed)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{case}: failed\n{proc.stderr[-3000:]}", flush=True)
            continue
        out = json.loads(line[7:])
        out["load_before"] = round(load, 1)
        results.append(out)
        extra = {k: v for k, v in out.items() if k not in ("case", "seconds", "rss_mb")}
        print(
            f"{case}: {out['seconds']:.1f} s, peak RSS {out['rss_mb']:.0f} MB {extra}", flush=True
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    Path(options.output).mkdir(parents=True, exist_ok=True)
    path = Path(options.output) / f"jobs-{stamp}.json"
    path.write_text(json.dumps({"cpus": os.cpu_count(), "results": results}, indent=1))
    print(f"written {path}")


if __name__ == "__main__":
    main()
