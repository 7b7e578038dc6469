"""Load demo content once: a user per role, categories, posts in every status, comments.

Idempotent: a second run finds the demo users and changes nothing. Everything is written
through the services, so demo content is shaped exactly like content made by hand.
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from accounts.selectors import user_get_by_username
from blog.services import comments as comment_services
from blog.services import posts as post_services
from blog.services import taxonomy as taxonomy_services

DEMO_PASSWORD = "demo-pass-2026!"
DEMO_USERS = [
    ("admin", Role.ADMIN, "Ada Admin"),
    ("editor", Role.EDITOR, "Eddie Editor"),
    ("author", Role.AUTHOR, "Aria Author"),
    ("reader", Role.READER, "Rey Reader"),
]
CATEGORIES = [
    ("News", "What happened, and why it matters."),
    ("Engineering", "How we build things."),
    ("Culture", "Books, films and the people behind them."),
]
TOPICS = [
    ("Scaling PostgreSQL full-text search", "Engineering", ["postgres", "search"]),
    ("Why we moved our jobs to Celery", "Engineering", ["celery", "python"]),
    ("Caching without stale reads", "Engineering", ["redis", "caching"]),
    ("A week in the newsroom", "News", ["newsroom"]),
    ("Election night: how the live blog held up", "News", ["newsroom", "live"]),
    ("The city council votes on bike lanes", "News", ["city"]),
    ("Five books to read this winter", "Culture", ["books"]),
    ("Interview: the illustrator behind our covers", "Culture", ["interview", "art"]),
    ("Designing for slow networks", "Engineering", ["performance", "web"]),
    ("Markdown tips for authors", "Culture", ["writing"]),
]
BODY = """## {title}

This is demo content for **{title}**. It shows the Markdown features authors use most:

- lists with *emphasis* and `inline code`,
- [links](https://www.djangoproject.com/) that open safely,
- and quotes:

> Good software is written for the people who run it at three in the morning.

```python
print("hello from {slug}")
```

{filler}
"""
FILLER = " ".join(["Lorem ipsum dolor sit amet, consectetur adipiscing elit."] * 30)


class Command(BaseCommand):
    help = "Load demo content (users for each role, categories, posts, comments), once."

    def handle(self, *args: Any, **options: Any) -> None:
        if user_get_by_username(username="editor") is not None:
            self.stdout.write("Demo content already loaded; nothing to do.")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(self.style.SUCCESS("Demo content loaded."))

    def _seed(self) -> None:
        users = {}
        for username, role, name in DEMO_USERS:
            if role == Role.ADMIN:
                user = account_services.user_create_superuser(
                    username=username,
                    email=f"{username}@example.com",
                    password=DEMO_PASSWORD,
                    display_name=name,
                )
            else:
                user = account_services.user_register(
                    username=username,
                    email=f"{username}@example.com",
                    password=DEMO_PASSWORD,
                    display_name=name,
                )
                account_services.user_set_role(user=user, role=role)
            users[username] = user

        categories = {
            name: taxonomy_services.category_create(name=name, description=description)
            for name, description in CATEGORIES
        }
        now = timezone.now()
        posts = []
        for index, (title, category, tags) in enumerate(TOPICS):
            author = users["author"] if index % 2 else users["editor"]
            slug = title.lower().replace(" ", "-")
            post = post_services.post_create(
                author=author,
                title=title,
                body=BODY.format(title=title, slug=slug, filler=FILLER[: 200 + index * 150]),
                category=categories[category],
                tags=tags,
                status="published",
            )
            posts.append(post)
        draft = post_services.post_create(
            author=users["author"], title="Work in progress", body="Not ready yet.", tags=["wip"]
        )
        post_services.post_update(
            post=draft, actor=users["author"], body="Not ready yet, but getting there."
        )
        post_services.post_create(
            author=users["author"],
            title="Coming next week",
            body="A scheduled post: the publishing job makes it live on time.",
            status="published",
            publish_at=now + timedelta(days=7),
        )
        old = post_services.post_create(
            author=users["editor"], title="Our old roadmap", body="Superseded.", status="published"
        )
        post_services.post_archive(post=old, actor=users["editor"])

        reader = users["reader"]
        first = comment_services.comment_create(
            post=posts[0], author=reader, body="Great write-up, thanks!"
        )
        comment_services.comment_create(
            post=posts[0], author=users["author"], body="Glad it helped.", parent_id=first.pk
        )
        comment_services.comment_create(post=posts[1], author=reader, body="Which broker?")
        comment_services.comment_create(
            post=posts[2],
            author=reader,
            body="Cheap links: http://a.example http://b.example http://c.example http://d.example",
        )
