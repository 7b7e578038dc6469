"""The benchmark: seed, serve with gunicorn in production settings, load with wrk, report.

    bash bench/run.sh                      # or: .venv/bin/python bench/run.py
    bash bench/run.sh --duration 5 --connections 16 --modes cached

For each mode (`cached`: CACHE_READS=1, `uncached`: CACHE_READS=0, everything from the
database) it starts gunicorn, counts the queries of each scenario in-process, then runs
each scenario with wrk (a warm-up, then the measured run) and prints requests/s, p50/p99
latency, the ratio to the trivial view and queries per request. Results go to
bench/results/<UTC time>.json and .md. See bench/README.md.

The bench's Redis database is flushed at the start of each mode (cache, throttle
counters, queued jobs): give it one of its own (--redis-url).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import redis

import loadgen
import report
import scenarios as scenario_defs
from scenarios import COMMENTERS, PASSWORD
from server import ROOT, Gunicorn, http_json

MODES = {"cached": "1", "uncached": "0"}
SCENARIOS = ["ping", "post_detail", "post_list", "search", "comment_create"]
# High enough that the load is never throttled; throttling itself stays on (every request
# still goes through it). A one-second window keeps the per-client history in Redis about
# as short as a real client's, although the whole load comes from one address.
THROTTLE_RATES = "anon=1000000/s,user=1000000/s,comment=1000000/s,login=1000/min"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of every scenario, interleaved (medians)"
    )
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers"
    )
    parser.add_argument("--modes", default="cached,uncached", help="cached,uncached")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=",".join(SCENARIOS))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/blog_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    )
    parser.add_argument("--port", type=int, default=None, help="default: a free one")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    args.modes = [m for m in args.modes.split(",") if m]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.modes) - set(MODES) | set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown mode or scenario: {', '.join(sorted(unknown))}")
    return args


def bench_env(args) -> dict:
    """Production settings on loopback: no debug, plain HTTP, PostgreSQL and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k3y-n0t-for-production-" * 3,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": args.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "THROTTLE_RATES": THROTTLE_RATES,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def python(script: str, *script_args, env: dict, capture: bool = False) -> str:
    completed = subprocess.run(
        [sys.executable, str(ROOT / script), *script_args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return completed.stdout


def prepare(env: dict) -> None:
    python("scripts/check_services.py", env=env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    python("bench/seed.py", env=env)


def login(base_url: str) -> list[str]:
    """Access tokens of the commenters, from the API as a client gets them."""
    return [
        http_json(f"{base_url}/api/v1/auth/token/", {"username": name, "password": PASSWORD})[
            "access"
        ]
        for name in COMMENTERS
    ]


def count_queries(env: dict, chosen: list) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump([s.to_dict() for s in chosen], file)
        file.flush()
        return json.loads(python("bench/queries.py", file.name, env=env, capture=True))


def _print_run(label: str, name: str, result: dict) -> None:
    ms = result["latency_ms"]
    print(
        f"  {label:12} {name:15} {result['rps']:8.0f} req/s  p50 {ms['p50']:6.1f} ms  "
        f"p99 {ms['p99']:6.1f} ms  errors {sum(result['errors'].values())}",
        flush=True,
    )


def run_mode(mode: str, args, env: dict) -> dict:
    redis.Redis.from_url(args.redis_url).flushdb()
    env = {**env, "CACHE_READS": MODES[mode]}
    results = {}
    with Gunicorn(env, workers=args.workers, port=args.port) as server:
        chosen = [
            s
            for s in scenario_defs.build(args.database_url, login(server.url))
            if s.name in args.scenarios
        ]
        queries = count_queries(env, chosen)
        if mode == "cached" and queries["cache_reads"] is None:
            print("warning: settings.CACHE_READS does not exist; 'cached' is not cached yet.")
        runs = {scenario.name: [] for scenario in chosen}
        # Rounds interleave the scenarios, so a neighbour's burst of load on a shared
        # machine spreads over all of them instead of sinking one; each figure is a median.
        for round_number in range(1, args.rounds + 1):
            for scenario in chosen:
                load = {"base_url": server.url, "connections": args.connections}
                if args.warmup:
                    loadgen.run(scenario, seconds=args.warmup, threads=args.threads, **load)
                result = loadgen.run(scenario, seconds=args.duration, threads=args.threads, **load)
                runs[scenario.name].append(result)
                _print_run(f"{mode} #{round_number}", scenario.name, result)
        for scenario in chosen:
            results[scenario.name] = {
                "description": scenario.description,
                "load": loadgen.combine(runs[scenario.name]),
                "queries": queries["scenarios"][scenario.name],
            }
        errors = server.errors().strip()
        if errors:
            print(f"  gunicorn's error log ({mode}):\n{errors[-2000:]}")
    return results


def main():
    args = parse_args()
    loadgen.ensure_wrk()
    env = bench_env(args)
    prepare(env)
    started = datetime.now(UTC)
    machine = report.machine(args.database_url, args.redis_url)
    settings = {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "gunicorn_workers": args.workers,
        "gunicorn_worker_class": "sync",
        "throttle_rates": THROTTLE_RATES,
    }
    print(f"machine: {json.dumps(machine)}\nsettings: {json.dumps(settings)}", flush=True)
    results = {}
    try:
        for mode in args.modes:
            results[mode] = run_mode(mode, args, env)
    finally:
        python("bench/seed.py", "--remove-bench-comments", env=env)

    # Other processes on the machine skew the figures: the load they left is on record.
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    table = report.table(results)
    verdicts = report.targets(results)
    print("\n" + table + "\n\n" + "\n".join(verdicts))
    args.output.mkdir(parents=True, exist_ok=True)
    stem = args.output / started.strftime("%Y-%m-%dT%H%M%SZ")
    document = {"started": started.isoformat(), "machine": machine, "settings": settings}
    stem.with_suffix(".json").write_text(
        json.dumps({**document, "results": results, "targets": verdicts}, indent=2) + "\n"
    )
    stem.with_suffix(".md").write_text(
        f"# Benchmark {started:%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: `{json.dumps(machine)}`\n\nSettings: `{json.dumps(settings)}`\n\n"
        f"{table}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n"
    )
    print(f"\nwritten: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
