"""Seed the benchmark's database with a realistic data set, once.

20 authors, 10 categories, 200 tags, 5,000 published posts with Markdown bodies of a few
KB (rendered, excerpted and search-indexed as the services would), a few comments each,
plus readers who comment during the benchmark.

Written with bulk_create for speed, so it bypasses the services on purpose: no events,
revisions only as the services would leave them after creation. The search vector is
filled by `blog.services.posts.post_search_vectors_refresh` (title A, tag names B,
excerpt and body C), as `manage.py rebuild_search_index` does.

Idempotent: it does nothing if the marker author exists with the posts. Run with the
benchmark's environment (bench/run.py does it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blog_bench python bench/seed.py
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from blog.models import Category, Comment, CommentStatus, Post, PostStatus, Revision, Tag  # noqa: E402
from blog.rendering import make_excerpt, reading_time_minutes, render_markdown  # noqa: E402
from blog.services.comments import post_refresh_comment_count  # noqa: E402
from blog.services.posts import post_search_vectors_refresh  # noqa: E402
from scenarios import COMMENT_BODY, COMMENTERS, PASSWORD  # noqa: E402

MARKER = "bench-author-00"

# Words every post uses; topic words, of which each post is about a few (so a search for
# one matches a few percent of the posts, as on a real site); filler from a larger vocabulary.
COMMON = [
    "the", "a", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "was",
    "be", "by", "this", "are", "from", "at", "or", "an", "which", "have", "not", "but", "were",
    "they", "their", "has", "had", "been", "more", "when", "will", "would", "can", "about",
]  # fmt: skip
TOPICS = [
    "postgres", "redis", "cache", "query", "index", "latency", "throughput", "django",
    "python", "celery", "worker", "queue", "search", "vector", "ranking", "token", "session",
    "request", "response", "middleware", "serializer", "database", "replica", "shard",
    "partition", "migration", "schema", "column", "table", "join", "transaction", "commit",
    "rollback", "lock", "deadlock", "timeout", "retry", "backoff", "jitter", "metric", "trace",
    "log", "alert", "deploy", "release", "rollout", "canary", "feature", "flag", "config",
    "secret", "policy", "audit", "event", "stream", "newsroom", "editor", "article", "story",
    "headline", "interview", "culture", "review", "book", "film", "music", "city", "council",
    "election", "budget", "school", "hospital", "transport", "bike", "lane", "housing",
    "performance", "design", "network", "browser", "frontend", "api", "endpoint", "pagination",
    "cursor", "filter",
]  # fmt: skip
HEADINGS = ["Background", "The problem", "What we tried", "Results", "Lessons", "Next steps"]
_SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "ba", "di", "fe", "gu", "ho", "ji", "pa",
    "ri", "so", "tu", "ve", "zo",
]  # fmt: skip


def filler_vocabulary(rng: random.Random, size: int = 2000) -> list[str]:
    return ["".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)]


class Writer:
    """Sentences about a post's few topics, in the vocabulary shared by all posts."""

    def __init__(self, rng: random.Random, filler: list[str], topics: list[str]):
        self.rng, self.filler, self.topics = rng, filler, topics
        # Zipf-like: the first filler words are far more frequent than the last.
        self.cum_weights = list(accumulate(1 / (rank + 1) for rank in range(len(filler))))

    def word(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return self.rng.choice(COMMON)
        if roll < 0.65:
            return self.rng.choice(self.topics)
        return self.rng.choices(self.filler, cum_weights=self.cum_weights)[0]

    def sentence(self) -> str:
        rng = self.rng
        words = [self.word() for _ in range(rng.randint(8, 22))]
        if rng.random() < 0.15:
            words[rng.randrange(len(words))] = f"**{rng.choice(self.topics)}**"
        if rng.random() < 0.1:
            words[rng.randrange(len(words))] = f"`{self.word()}()`"
        if rng.random() < 0.08:
            word = rng.choice(self.topics)
            words[rng.randrange(len(words))] = f"[{word}](https://example.com/{word})"
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 7)))

    def title(self) -> str:
        words = [
            self.rng.choice(self.topics),
            *(self.word() for _ in range(self.rng.randint(3, 7))),
        ]
        self.rng.shuffle(words)
        return " ".join(words).capitalize()[:200]

    def markdown(self, title: str) -> str:
        """A few KB of Markdown: sections, paragraphs, a list, sometimes code and a quote."""
        rng = self.rng
        parts = [f"# {title}", self.paragraph()]
        for heading in rng.sample(HEADINGS, rng.randint(2, 4)):
            parts.append(f"## {heading}")
            parts.extend(self.paragraph() for _ in range(rng.randint(1, 3)))
            roll = rng.random()
            if roll < 0.3:
                parts.append("\n".join(f"- {self.sentence()}" for _ in range(rng.randint(3, 5))))
            elif roll < 0.45:
                name = rng.choice(self.topics)
                parts.append(f"```python\ndef {name}():\n    return {rng.randint(1, 99)}\n```")
            elif roll < 0.55:
                parts.append(f"> {self.sentence()}")
        return "\n\n".join(parts)


def already_seeded(posts: int) -> bool:
    author = User.objects.filter(username=MARKER).first()
    return author is not None and Post.objects.filter(status=PostStatus.PUBLISHED).count() >= posts


@transaction.atomic
def seed(*, authors: int, readers: int, categories: int, tags: int, posts: int, seed: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    filler = filler_vocabulary(rng)
    general = Writer(rng, filler, TOPICS)
    password = make_password(PASSWORD)
    author_users = User.objects.bulk_create(
        User(
            username=f"bench-author-{i:02d}",
            email=f"bench-author-{i:02d}@example.com",
            display_name=f"Author {i}",
            bio=general.paragraph(),
            role=Role.AUTHOR,
            password=password,
        )
        for i in range(authors)
    )
    reader_names = COMMENTERS + [f"bench-reader-{i:02d}" for i in range(len(COMMENTERS), readers)]
    reader_users = User.objects.bulk_create(
        User(username=name, email=f"{name}@example.com", role=Role.READER, password=password)
        for name in reader_names
    )
    cats = Category.objects.bulk_create(
        Category(name=f"Section {i}", slug=f"section-{i}", description=general.sentence())
        for i in range(categories)
    )
    for cat in cats:  # top-level categories: their tree path is their own id
        cat.path = f"/{cat.pk}/"
    Category.objects.bulk_update(cats, ["path"])
    tag_objs = Tag.objects.bulk_create(
        Tag(name=f"{TOPICS[i % len(TOPICS)]} {i}", slug=f"topic-{i}") for i in range(tags)
    )

    now = timezone.now()
    post_objs = []
    for i in range(posts):
        writer = Writer(rng, filler, rng.sample(TOPICS, 4))
        title = writer.title()
        body = writer.markdown(title)
        body_html = render_markdown(body)
        published = now - timedelta(minutes=rng.randint(1, 2 * 365 * 24 * 60))
        post_objs.append(
            Post(
                title=title,
                slug=f"bench-{i:05d}",
                body=body,
                body_html=body_html,
                excerpt=make_excerpt(body_html),
                reading_time_minutes=reading_time_minutes(body),
                status=PostStatus.PUBLISHED,
                author=rng.choice(author_users),
                # One post in ten has no section, as in real content.
                category=None if rng.random() < 0.1 else rng.choice(cats),
                published_at=published,
                view_count=rng.randint(0, 50_000),
            )
        )
    post_objs = Post.objects.bulk_create(post_objs, batch_size=500)

    # Popular tags are much more common than rare ones (a Zipf-like weight).
    weights = [1 / (rank + 1) for rank in range(len(tag_objs))]
    through = Post.tags.through
    links = []
    for post in post_objs:
        chosen = {tag.pk for tag in rng.choices(tag_objs, weights=weights, k=rng.randint(1, 5))}
        links.extend(through(post_id=post.pk, tag_id=tag_id) for tag_id in chosen)
    through.objects.bulk_create(links, batch_size=2000)

    Revision.objects.bulk_create(
        (Revision(post=p, title=p.title, body=p.body, author=p.author) for p in post_objs),
        batch_size=500,
    )
    comments = []
    for post in post_objs:
        for _ in range(rng.randint(0, 6)):
            comments.append(
                Comment(
                    post=post,
                    author=rng.choice(reader_users),
                    body=general.paragraph()[: rng.randint(40, 600)],
                    status=CommentStatus.APPROVED,
                )
            )
    Comment.objects.bulk_create(comments, batch_size=2000)

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE blog_post AS p SET comment_count = c.n
            FROM (SELECT post_id, count(*) AS n FROM blog_comment
                  WHERE status = %s GROUP BY post_id) AS c
            WHERE c.post_id = p.id
            """,
            [CommentStatus.APPROVED],
        )
    post_search_vectors_refresh()  # the services' own expression, in batches
    return len(post_objs), len(comments)


def remove_bench_comments() -> int:
    """Delete the comments the benchmark wrote, so that runs do not grow the data set."""
    comments = Comment.objects.filter(body=COMMENT_BODY)
    post_ids = set(comments.values_list("post_id", flat=True))
    deleted, _ = comments.delete()
    for post_id in post_ids:
        post_refresh_comment_count(post_id=post_id)
    return deleted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--categories", type=int, default=10)
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--remove-bench-comments",
        action="store_true",
        help="delete the comments written by a benchmark run instead of seeding",
    )
    args = parser.parse_args()
    if args.remove_bench_comments:
        print(f"Removed {remove_bench_comments()} benchmark comments.")
        return
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    if already_seeded(args.posts):
        print("Benchmark data already seeded; nothing to do.")
        return
    if User.objects.filter(username=MARKER).exists():
        sys.exit("A partial or smaller benchmark data set exists: drop the database first.")
    started = time.monotonic()
    posts, comments = seed(
        authors=args.authors,
        readers=max(args.readers, len(COMMENTERS)),
        categories=args.categories,
        tags=args.tags,
        posts=args.posts,
        seed=args.seed,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Seeded {posts} posts and {comments} comments in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
