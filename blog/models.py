from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "HTML"  # imported content, or an author who writes HTML


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SPAM = "spam", "Spam"


class Category(models.Model):
    """A section of the site; a post has at most one. Categories form a tree (`parent`),
    changed only by `blog.services.taxonomy`, which keeps `path` in step."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)
    description = models.TextField(blank=True, max_length=2000)
    # DO_NOTHING: the service moves the children up before a delete; the foreign key
    # (checked at commit) refuses any other delete that would leave them dangling.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="children"
    )
    # The ids from the root down to this category, "/3/17/42/": the subtree of a category
    # is `path LIKE '<its path>%'`, one index range scan, with no recursion at read time.
    path = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        indexes = [
            # text_pattern_ops: a prefix LIKE can use the index whatever the collation.
            models.Index(fields=["path"], name="category_path_idx", opclasses=["text_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free keyword; tags are created on the fly from the slugs authors give."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MediaStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"  # renditions being made by a job
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    REMOTE = "remote", "Remote"  # imported, not downloaded yet: `source_url` is the image


# The renditions of every image (name: width in pixels), never wider than the original.
RENDITION_WIDTHS = {"thumbnail": 300, "medium": 800, "large": 1600}


class Media(models.Model):
    """An image of the media library: the original (metadata stripped, stored under a
    generated name through the default storage) and its renditions.

    `renditions` maps a rendition's name to `{"name": storage name, "width", "height",
    "content_type"}`; written by the renditions job (`blog.services.media`).
    """

    file = models.FileField(max_length=300, blank=True)
    content_type = models.CharField(max_length=32, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(max_length=500)
    caption = models.TextField(blank=True, max_length=2000)
    # The uploaded file's name, for search only: stored files get generated names.
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=MediaStatus.choices, default=MediaStatus.PROCESSING
    )
    error = models.TextField(blank=True)
    renditions = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="media",
    )
    source_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "media"
        indexes = [
            models.Index(fields=["uploaded_by", "-created_at"], name="media_uploader_idx"),
        ]

    def __str__(self) -> str:
        return self.alt_text or self.original_name or f"media {self.pk}"


class Post(models.Model):
    """An article in Markdown or HTML (`body_format`) with its lifecycle (draft,
    scheduled, published, archived).

    `body_html`, `excerpt`, `reading_time_minutes`, `comment_count` and `search_vector` are
    derived, kept up to date by `blog.services.posts`; `view_count` by the view counter.
    """

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)
    excerpt = models.TextField(blank=True, max_length=1000)
    body = models.TextField()
    body_format = models.CharField(
        max_length=16, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    body_html = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    # PROTECT: media in use is not deleted (the service answers 409 media_in_use first).
    featured_image = models.ForeignKey(
        Media, on_delete=models.PROTECT, null=True, blank=True, related_name="featured_in"
    )
    allow_comments = models.BooleanField(default=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reading_time_minutes = models.PositiveIntegerField(default=1)
    view_count = models.PositiveBigIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Filled on PostgreSQL only (title weighted above tags and body); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="post_status_pub_idx"),
            models.Index(fields=["status", "publish_at"], name="post_status_publish_at_idx"),
            # A category's posts newest first without walking every published post (a
            # small or old category at a million posts: 1 s without it, under 1 ms with
            # it), and the published posts per category (the tree's counts) by an
            # index-only scan.
            models.Index(
                fields=["category", "status", "-published_at", "-id"],
                name="post_category_pub_idx",
            ),
            GinIndex(fields=["search_vector"], name="post_search_vector_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("blog:post-page", kwargs={"slug": self.slug})


class Revision(models.Model):
    """A snapshot of a post's title and body, kept at creation and at every change."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200)
    body = models.TextField()
    body_format = models.CharField(
        max_length=16, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        # Each row of the post's revision inline starts with this: say what it is.
        return f"Revision of “{self.title}”, {self.created_at:%Y-%m-%d %H:%M} UTC"


class Comment(models.Model):
    """A reader's comment on a post; `parent` makes threads (same post only)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    # Deleting a comment keeps its replies, as top-level comments.
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=10000)
    status = models.CharField(
        max_length=16, choices=CommentStatus.choices, default=CommentStatus.APPROVED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "status", "created_at"], name="comment_post_status_idx"),
            models.Index(fields=["status", "created_at"], name="comment_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class RedirectStatus(models.IntegerChoices):
    MOVED_PERMANENTLY = 301, "301 Moved Permanently"
    FOUND = 302, "302 Found"
    TEMPORARY_REDIRECT = 307, "307 Temporary Redirect"
    PERMANENT_REDIRECT = 308, "308 Permanent Redirect"


class Redirect(models.Model):
    """An old path of the site that answers with a redirect instead of a 404 (imported
    permalinks, moved pages). `old_path` is stored normalised (`blog.redirect_paths`);
    `target` is a path of this site or an absolute URL of it, never another host.
    `hits` lags: hits are counted in Redis and flushed every minute."""

    old_path = models.CharField(max_length=2000, unique=True)
    target = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField(
        choices=RedirectStatus.choices, default=RedirectStatus.MOVED_PERMANENTLY
    )
    hits = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["old_path"]

    def __str__(self) -> str:
        return f"{self.old_path} → {self.target}"
