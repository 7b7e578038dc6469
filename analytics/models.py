from django.db import models


class PostDailyStats(models.Model):
    """Views of one post on one day (UTC); the source of the per-post stats endpoint."""

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField()
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "date"], name="post_daily_stats_unique"),
        ]
        ordering = ["-date"]
        verbose_name_plural = "post daily stats"

    def __str__(self):
        return f"{self.post_id} {self.date}: {self.views}"
