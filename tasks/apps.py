from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from django.core import checks

        from config.observability.metrics.collectors import metrics_source_register
        from tasks.checks import check_time_limits
        from tasks.metrics import job_metric_families

        metrics_source_register("database", job_metric_families)
        checks.register(check_time_limits)
