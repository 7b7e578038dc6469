"""Reading `/metrics` in the tests: a scrape's samples, by metric and labels."""

from prometheus_client.parser import text_string_to_metric_families


def scrape(client, **extra):
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return Samples(response.content.decode())


class Samples:
    """The samples of one scrape: `samples.get(metric, **labels)` (None when absent)."""

    def __init__(self, text):
        self.text = text
        self.values = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def get(self, metric, /, **labels):
        return self.values.get((metric, frozenset(labels.items())))

    def delta(self, before, metric, /, **labels):
        return (self.get(metric, **labels) or 0) - (before.get(metric, **labels) or 0)

    def names(self):
        return {name for name, _ in self.values}
