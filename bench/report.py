"""The machine the figures come from, the results table, and the targets of issue 4."""

import os
import platform
import subprocess
from pathlib import Path

import psycopg
import redis

# Issue 4: cached reads against the trivial view's throughput, and no query on a hit.
TARGETS = {"post_detail": 0.60, "post_list": 0.50}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def machine(database_url: str, redis_url: str) -> dict:
    with psycopg.connect(database_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    # Uncommitted changes: the figures are of the working tree, not of `git_head`.
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": _mem_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": postgres,
        "redis": redis.Redis.from_url(redis_url).info("server")["redis_version"],
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "git_head": revision,
        "git_dirty": bool(dirty),
    }


def _row(mode: str, name: str, result: dict, ceiling: float) -> str:
    load, queries = result["load"], result.get("queries", {})
    ratio = load["rps"] / ceiling if ceiling else 0.0
    q = queries.get("queries_per_request")
    errors = sum(load["errors"].values())
    cpu = queries.get("cpu_ms_per_request")
    return (
        f"| {mode} | {name} | {load['rps']:.0f} | {load['latency_ms']['p50']:.1f} "
        f"| {load['latency_ms']['p99']:.1f} | {ratio:.2f} | {'-' if q is None else f'{q:.1f}'} "
        f"| {'-' if cpu is None else f'{cpu:.1f}'} | {errors} |"
    )


def table(results: dict) -> str:
    lines = [
        "| mode | scenario | req/s | p50 ms | p99 ms | × ping | queries/req | app CPU ms/req "
        "| errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, scenarios in results.items():
        ceiling = scenarios.get("ping", {}).get("load", {}).get("rps", 0.0)
        lines.extend(_row(mode, name, result, ceiling) for name, result in scenarios.items())
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    """One line per target of the issue, PASS or FAIL, on the cached mode's figures."""
    cached = results.get("cached")
    if not cached or "ping" not in cached:
        return ["targets: not checked (the cached mode with ping was not run)"]
    ceiling = cached["ping"]["load"]["rps"]
    lines = []
    for name, minimum in TARGETS.items():
        if name not in cached:
            continue
        ratio = cached[name]["load"]["rps"] / ceiling
        verdict = "PASS" if ratio >= minimum else "FAIL"
        lines.append(f"{verdict} cached {name}: {ratio:.2f} × ping (target ≥ {minimum:.2f})")
        queries = cached[name].get("queries", {}).get("queries_max")
        if queries is not None:
            verdict = "PASS" if queries == 0 else "FAIL"
            lines.append(f"{verdict} cached {name}: {queries} queries on a hit (target 0)")
    return lines
