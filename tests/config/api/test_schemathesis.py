"""Schemathesis against the whole API: the schema and the server agree.

The run is what `st run` does (every phase: examples, coverage, fuzzing, stateful) with
every check but `positive_data_acceptance` (the schema cannot say everything the server
refuses: a taken username, a stale If-Match), as an admin, on demo content, with a
fixed seed. It must find nothing. A failure lists each finding with a curl command.

The server is a live server in a thread of this process: schemathesis' in-process WSGI
transport fails its own `ignored_auth` probes (it hands werkzeug the `max_redirects` of
a requests session), and over HTTP the run is exactly the CLI's. Unlike pytest-django's
`live_server`, it answers one request at a time on one database connection kept for the
run: opening a connection per request cost more than the requests. Requests commit for
real, so the test uses `transactional_db` (with sequences reset: the same ids, hence the
same cases, whatever ran before), which empties the tables afterwards.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
import schemathesis
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.engine import events, from_schema
from schemathesis.engine.run import PhaseName

from tests.factories import AdminFactory

pytestmark = [pytest.mark.slow, pytest.mark.cached_reads]

FUZZER = "fuzz-admin"
EXAMPLES_PER_OPERATION = 25
SEED = 20261130


class _SerialWSGIServer(WSGIServer):
    """Django's development server without threads; it closes no database connection."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)


class _SerialLiveServerThread(LiveServerThread):
    # Not a ThreadedWSGIServer: that one closes the connection after each request.
    server_class = _SerialWSGIServer  # type: ignore[assignment]


@pytest.fixture
def api_server(django_db_reset_sequences) -> Iterable[str]:
    thread = _SerialLiveServerThread("localhost", static_handler=StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    # Its `run()` closes the thread's database connection on the way out.
    thread.terminate()


def _config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {token}"},
            "checks": {"positive_data_acceptance": {"enabled": False}},
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "cache": {"enabled": False},
            # A multipart form has no types: `caption=true` is the string "true", which
            # the upload rightly takes; schemathesis' negative cases would have it refused
            # as a boolean. Every other check still runs on the upload.
            "operations": [
                {
                    "include-path": "/api/v1/media/",
                    "include-method": "POST",
                    "checks": {"negative_data_rejection": {"enabled": False}},
                }
            ],
        }
    )


def _spare_the_fuzzers_account(ctx: Any, case: schemathesis.Case) -> schemathesis.Case:
    # An admin may deactivate or demote any account, its own included: the fuzzer would
    # lock itself out and every later request be a 401. The demo admin takes its place.
    if case.operation.method.upper() == "PATCH" and case.path_parameters.get("username") == FUZZER:
        case.path_parameters["username"] = "admin"
    return case


def _findings(stream: Iterable[events.EngineEvent]) -> tuple[list[str], Counter, Counter]:
    """Each failure or error as a line, the failures by check, and run statistics."""
    found: list[str] = []
    by_check: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    operations, started = set(), {}
    for event in stream:
        if isinstance(event, events.PhaseStarted):
            started[event.phase.name] = event.timestamp
        elif isinstance(event, events.PhaseFinished) and event.phase.name in started:
            stats[f"{event.phase.name.value} s"] = round(
                event.timestamp - started[event.phase.name]
            )
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            if event.phase != PhaseName.STATEFUL_TESTING:  # one scenario for all operations
                operations.add(event.recorder.label)
            stats["cases"] += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    info = check.failure_info
                    if info is None:
                        continue
                    by_check[check.name] += 1
                    interaction = event.recorder.interactions.get(case_id)
                    response = interaction.response if interaction else None
                    status = response.status_code if response else "-"
                    curl = info.steps[-1].curl if info.steps else info.code_sample
                    found.append(
                        f"{event.recorder.label} [{check.name}] {info.failure.title}: "
                        f"{info.failure.message.strip()[:300]} (got {status})\n    {curl}"
                    )
        elif isinstance(event, events.NonFatalError):
            found.append(f"{event.label} [error] {event.info.format()[:500]}")
        elif isinstance(event, events.FatalError):
            found.append(f"[fatal] {event.exception!r}")
    stats["operations"] = len(operations)
    return found, by_check, stats


def test_schemathesis_finds_nothing(api_server, monkeypatch, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path  # the reports it requests are written there
    for scope in list(SimpleRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)
    call_command("seed_demo", verbosity=0)
    fuzzer = AdminFactory(username=FUZZER)
    token = str(RefreshToken.for_user(fuzzer).access_token)

    schema = schemathesis.openapi.from_url(f"{api_server}/api/v1/schema/", config=_config(token))
    schema.hook("map_case")(_spare_the_fuzzers_account)
    found, by_check, stats = _findings(from_schema(schema).execute())

    with capsys.disabled():
        print(
            f"\nschemathesis: {stats.pop('operations')} operations, {stats.pop('cases')} cases, "
            f"failures by check: {dict(by_check) or 'none'}; {dict(stats)}"
        )
    assert not found, f"{len(found)} findings:\n" + "\n".join(found)
    fuzzer.refresh_from_db()
    assert fuzzer.is_active and fuzzer.effective_role == "admin", "the run locked itself out"
