from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from config.observability.metrics.collectors import metrics_source_register
        from tasks.metrics import job_metric_families

        metrics_source_register("database", job_metric_families)
