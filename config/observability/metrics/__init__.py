"""Prometheus metrics, served at `/metrics` (`config.observability.metrics.views.metrics_view`).

Three kinds of numbers:

- What happens in a process (requests, queries, cache operations) is counted as it
  happens, by django-prometheus's middlewares and database wrappers and by the counters
  of `instruments`. With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn with several workers,
  see `config/gunicorn.py`), every process writes its counters there and a scrape sums
  them all.
- What other processes leave behind (jobs, webhook deliveries, queued messages, pending
  view counts, cache hit rates) is read from PostgreSQL and Redis at scrape time by
  `collectors.StateCollector`, so it is right whichever process did the work.
- Events and receiver failures happen in every process (web, Celery workers, beat): with
  Redis each process adds its counts to a Redis hash (`shared`), which the collector
  reads; without Redis (the embedded default) they are in-process counters of
  `instruments`, so a scrape shows the web process's alone.
"""
