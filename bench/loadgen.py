"""Drive a scenario with wrk: a generated Lua script cycles through its requests and prints
the summary (requests, errors, latency percentiles) as one JSON line."""

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from scenarios import Scenario

_MARK = "BENCH_JSON "
_LUA = """
local requests = %(requests)s
local built = {}
local next_index = 0

function init(args)
  for i, r in ipairs(requests) do
    built[i] = wrk.format(r.method, r.path, r.headers, r.body)
  end
  -- Threads start at different requests, so they do not move through the list in step.
  next_index = math.random(#built) - 1
end

function request()
  next_index = next_index %% #built + 1
  return built[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"latency_us": {"p50": %%d, "p90": %%d, "p99": %%d, "mean": %%.1f, "max": %%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def _lua_string(value: str) -> str:
    return '"' + re.sub(r'(["\\\\])', r"\\\1", value).replace("\n", "\\n") + '"'


def _lua_request(request) -> str:
    headers = ", ".join(
        f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()
    )
    body = _lua_string(request.body) if request.body is not None else "nil"
    return (
        f"{{method = {_lua_string(request.method)}, path = {_lua_string(request.path)}, "
        f"headers = {{{headers}}}, body = {body}}}"
    )


def lua_script(scenario: Scenario) -> str:
    requests = "{\n  " + ",\n  ".join(_lua_request(r) for r in scenario.requests) + "\n}"
    return _LUA % {"requests": requests, "mark": _MARK}


def ensure_wrk() -> str:
    """wrk from Debian, installed on first use (the benchmark runs as a machine's admin)."""
    path = shutil.which("wrk")
    if path:
        return path
    print("Installing wrk (apt-get install -y wrk)...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is not installed and apt-get could not install it.")
    return path


def run(scenario: Scenario, *, base_url: str, seconds: int, connections: int, threads: int) -> dict:
    """Run wrk for `seconds` and return its summary, with requests/s and latencies in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(scenario))
    try:
        completed = subprocess.run(
            [
                ensure_wrk(),
                f"--threads={min(threads, connections)}",
                f"--connections={connections}",
                f"--duration={seconds}s",
                "--timeout=10s",
                f"--script={script.name}",
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink()
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith(_MARK)), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    summary = json.loads(line[len(_MARK) :])
    seconds_run = summary["duration_us"] / 1e6
    latency = summary.pop("latency_us")
    return {
        **summary,
        "rps": summary["requests"] / seconds_run if seconds_run else 0.0,
        "latency_ms": {key: value / 1000 for key, value in latency.items()},
    }


def combine(runs: list[dict]) -> dict:
    """Several runs of one scenario as one: the median of their requests/s and of each
    latency percentile, the sums of requests and errors, and every run's own figures."""
    errors = {key: sum(run["errors"][key] for run in runs) for key in runs[0]["errors"]}
    latency = {
        key: statistics.median(run["latency_ms"][key] for run in runs)
        for key in runs[0]["latency_ms"]
    }
    return {
        "requests": sum(run["requests"] for run in runs),
        "errors": errors,
        "rps": statistics.median(run["rps"] for run in runs),
        "latency_ms": latency,
        "runs": [{"rps": run["rps"], "latency_ms": run["latency_ms"]} for run in runs],
    }
