from typing import Any

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from blog.models import (
    BodyFormat,
    Category,
    Comment,
    CommentStatus,
    Media,
    MediaStatus,
    Post,
    PostStatus,
    Redirect,
    RedirectStatus,
    Revision,
    Tag,
)
from config.api.serializers import StrictSerializer, StrictSerializerMixin


class AuthorSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class RenditionSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True)
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    content_type = serializers.CharField(read_only=True)


class MediaSerializer(serializers.ModelSerializer):
    """A media object as the API shows it (docs/api.md, "Media"): its URLs are absolute
    when there is a request, like a post's `url`."""

    url = serializers.SerializerMethodField()
    uploaded_by = AuthorSerializer(read_only=True, allow_null=True)
    renditions = serializers.SerializerMethodField()
    # Not a URI-formatted field: empty for uploads, which were not imported from anywhere.
    source_url = serializers.CharField(
        read_only=True, help_text="The address it was imported from; empty for uploads."
    )

    class Meta:
        model = Media
        fields = [
            "id", "url", "content_type", "size", "width", "height", "alt_text", "caption",
            "status", "renditions", "uploaded_by", "created_at", "source_url",
        ]  # fmt: skip
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request and url.startswith("/") else url

    def get_url(self, media: Media) -> str:
        if media.status == MediaStatus.REMOTE or not media.file:
            return media.source_url
        return self._absolute(default_storage.url(media.file.name))

    @extend_schema_field(serializers.DictField(child=RenditionSerializer()))
    def get_renditions(self, media: Media) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "url": self._absolute(default_storage.url(rendition["name"])),
                "width": rendition["width"],
                "height": rendition["height"],
                "content_type": rendition["content_type"],
            }
            for name, rendition in sorted((media.renditions or {}).items())
        }


class MediaUploadSerializer(StrictSerializer):
    """An image for the media library, as a multipart form. Its type is recognised from
    its content, not from its name."""

    file = serializers.FileField(help_text="A JPEG, PNG, GIF or WebP image.")
    alt_text = serializers.CharField(
        max_length=500, help_text="What the image shows, for those who cannot see it."
    )
    caption = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MediaUpdateSerializer(StrictSerializer):
    alt_text = serializers.CharField(max_length=500, required=False)
    caption = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class PostSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    featured_image = MediaSerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id", "slug", "title", "excerpt", "body", "body_html", "status", "author",
            "category", "tags", "featured_image", "allow_comments", "publish_at",
            "published_at", "created_at", "updated_at", "reading_time_minutes", "view_count",
            "comment_count", "url", "body_format",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, post: Post) -> list[str]:
        # Sorted in Python: the tags are prefetched, and ordering in SQL would re-query.
        return sorted(tag.slug for tag in post.tags.all())

    def get_url(self, post: Post) -> str:
        request = self.context.get("request")
        path = post.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class PostSummarySerializer(PostSerializer):
    class Meta(PostSerializer.Meta):
        fields = [f for f in PostSerializer.Meta.fields if f not in ("body", "body_html")]
        read_only_fields = fields


class PostWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=200_000)
    body_format = serializers.ChoiceField(
        choices=BodyFormat.choices,
        required=False,
        help_text="How `body` is written: `markdown` (the default) or `html`.",
    )
    excerpt = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=20, required=False
    )
    status = serializers.ChoiceField(
        choices=[PostStatus.DRAFT, PostStatus.PUBLISHED], required=False
    )
    publish_at = serializers.DateTimeField(required=False, allow_null=True)
    allow_comments = serializers.BooleanField(required=False)
    # A media id, or null for none. An integer field, not a related one: DRF's would take
    # "7" and true for ids, and send an id beyond bigint to the database (a 500).
    featured_image = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )

    def validate_featured_image(self, media_id: int | None) -> Media | None:
        # Unknown: 400. Whose media the writer may use is the service's rule.
        if media_id is None:
            return None
        media = Media.objects.filter(pk=media_id).first()
        if media is None:
            raise serializers.ValidationError(f"No media with id {media_id}.")
        return media


class PostUpdateSerializer(PostWriteSerializer):
    status = serializers.ChoiceField(choices=PostStatus.choices, required=False)


class RevisionSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Revision
        fields = ["id", "title", "body", "created_at", "author"]


class CommentSerializer(serializers.ModelSerializer):
    post: serializers.SlugRelatedField[Post] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    author = AuthorSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "post", "author", "parent", "body", "status", "created_at", "updated_at"]
        read_only_fields = fields


class CommentCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=10_000)
    # A declared field named like Field.parent: DRF's metaclass moves it into
    # _declared_fields, so the attribute is not shadowed at run time; the stub cannot know.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, min_value=1
    )


class CommentUpdateSerializer(StrictSerializer):
    """A comment's new body: PATCH replaces its one editable field, so `body` is required."""

    partial_on_patch = False

    body = serializers.CharField(max_length=10_000)


class CommentModerateSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=CommentStatus.choices)


class CategorySerializer(serializers.ModelSerializer):
    # The parent's slug, or null for a root (the selectors join the parent). Named like
    # Field.parent: as in CommentCreateSerializer, DRF's metaclass moves it into
    # _declared_fields, which the stub cannot know.
    parent: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True, allow_null=True
    )
    # The published posts of the category and of its descendants.
    post_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "description", "parent", "post_count"]
        read_only_fields = ["id", "parent", "post_count"]


class CategoryWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=120, required=False, allow_unicode=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    # The parent's slug (unknown: 400), or null to make it a root (type: see above).
    parent: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )


class TagSerializer(serializers.ModelSerializer):
    post_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tag
        fields = ["slug", "name", "post_count"]


class RedirectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Redirect
        fields = ["id", "old_path", "target", "status_code", "hits", "created_at"]
        read_only_fields = fields


class RedirectWriteSerializer(StrictSerializer):
    """A new redirect; the services normalise the old path and check the target."""

    # Plain strings: the services say what is wrong with a path or a target.
    old_path = serializers.CharField(max_length=2000, help_text="A path of this site: /old/.")
    target = serializers.CharField(
        max_length=2000, help_text="A path of this site (/new/) or an absolute URL of it."
    )
    status_code = serializers.ChoiceField(
        choices=RedirectStatus.values, required=False, default=RedirectStatus.MOVED_PERMANENTLY
    )
