"""Sources of the scrape-time metrics: the apps register theirs with the plumbing's
collector (config.observability.metrics.collectors)."""

import pytest
from prometheus_client.core import GaugeMetricFamily

from config.observability.metrics import collectors

pytestmark = pytest.mark.django_db


def _up(families) -> dict[str, float]:
    up = next(f for f in families if f.name == "blog_metrics_source_up")
    return {sample.labels["source"]: sample.value for sample in up.samples}


def test_the_apps_register_their_sources():
    readers = {source: [r.__module__ for r in rs] for source, rs in collectors._sources.items()}
    assert readers["database"] == ["analytics.metrics", "tasks.metrics"]
    assert readers["views"] == ["analytics.metrics"]
    assert readers["broker"] == readers["events"] == ["config.observability.metrics.collectors"]


def test_one_failing_reader_hides_its_whole_source(monkeypatch):
    def fine():
        return [GaugeMetricFamily("blog_test_fine", "A family.", value=1)]

    def broken():
        raise RuntimeError("table gone")

    monkeypatch.setattr(collectors, "_sources", {})
    collectors.metrics_source_register("testsource", fine)
    collectors.metrics_source_register("testsource", broken)
    collectors.metrics_source_register("testsource", fine)  # once is enough
    collectors.metrics_source_register("unconfigured", lambda: None)

    families = list(collectors.StateCollector().collect())

    assert _up(families) == {"testsource": 0}
    assert "blog_test_fine" not in {f.name for f in families}


def test_readers_of_a_source_are_shown_together(monkeypatch):
    monkeypatch.setattr(collectors, "_sources", {})
    for name in ("blog_test_a", "blog_test_b"):
        collectors.metrics_source_register(
            "testsource", lambda name=name: [GaugeMetricFamily(name, "A family.", value=1)]
        )

    families = list(collectors.StateCollector().collect())

    assert _up(families) == {"testsource": 1}
    assert {"blog_test_a", "blog_test_b"} <= {f.name for f in families}
