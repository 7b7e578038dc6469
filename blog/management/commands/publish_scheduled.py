from typing import Any

from django.core.management.base import BaseCommand

from blog.services.posts import post_publish_due


class Command(BaseCommand):
    help = "Publish every scheduled post whose publish_at has passed (what the beat job does)."

    def handle(self, *args: Any, **options: Any) -> None:
        published = post_publish_due()
        self.stdout.write(f"Published {len(published)} post(s).")
