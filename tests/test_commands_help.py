"""Every operator command documents itself (`--help`, exit code 0)."""

import pytest
from django.core.management import ManagementUtility

OPERATOR_COMMANDS = [
    "seed_demo", "rebuild_search_index", "flush_view_counts", "purge_events",
    "replay_events", "events", "cache_stats", "cache_invalidate", "jobs", "jobs_retry",
    "jobs_cancel", "run_report", "health", "publish_scheduled", "login_unlock",
    "media_rebuild_renditions", "media_orphans",
]  # fmt: skip


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", command, "--help"]).execute()
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: manage.py " + command)
    # A real description, not just the generic options.
    description = out.split("\n\n")[1] if "\n\n" in out else ""
    assert len(description.strip()) > 20, out[:300]
