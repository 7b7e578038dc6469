"""Count the SQL queries each scenario costs per request, in-process.

Django's test Client sends every request of a scenario through the real stack (the same
settings, PostgreSQL and Redis as the server under load) inside CaptureQueriesContext,
after a warm-up pass, so a cached read that still queries the database shows up here.
It also times the app's CPU per request in this process, a figure that, unlike requests/s,
other load on the machine hardly moves.
Run by bench/run.py in the environment of the mode it measures:

    python bench/queries.py scenarios.json   # prints one JSON object on stdout
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scenarios import Scenario  # noqa: E402

TIMED_REQUESTS = 200


def _send(client: Client, request) -> int:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    if request.method == "GET":
        return client.get(request.path, headers=headers).status_code
    response = client.generic(
        request.method,
        request.path,
        request.body or "",
        content_type=request.headers.get("Content-Type", "application/json"),
        headers=headers,
    )
    return response.status_code


def measure(scenario: Scenario) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    writes = scenario.requests[0].method != "GET"
    if not writes:
        # Twice: the first pass fills the cache, the second finds anything filled late.
        for _ in range(2):
            for request in scenario.requests:
                _send(client, request)
    per_request, statuses = [], []
    for request in scenario.requests:
        with CaptureQueriesContext(connection) as captured:
            statuses.append(_send(client, request))
        per_request.append(len(captured))
    # CPU time of this process per request (wall time would count the neighbours' load):
    # the app's own cost, without PostgreSQL's and Redis' share.
    passes = 1 if writes else max(1, TIMED_REQUESTS // len(scenario.requests))
    started = time.process_time()
    for _ in range(passes):
        for request in scenario.requests:
            _send(client, request)
    cpu_ms = (time.process_time() - started) * 1000 / (passes * len(scenario.requests))
    return {
        "cpu_ms_per_request": round(cpu_ms, 2),
        "queries_per_request": sum(per_request) / len(per_request),
        "queries_max": max(per_request),
        "statuses": sorted(set(statuses)),
        "sample_sql": [q["sql"][:200] for q in captured.captured_queries[:5]],
    }


def main():
    scenarios = [Scenario.from_dict(d) for d in json.loads(Path(sys.argv[1]).read_text())]
    result = {
        "cache_reads": getattr(settings, "CACHE_READS", None),
        "scenarios": {s.name: measure(s) for s in scenarios},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
