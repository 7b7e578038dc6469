"""The editors' admin. Every write goes through the blog's services, as the API's do."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.requests import request_user
from blog.models import (
    Category,
    Comment,
    CommentStatus,
    Media,
    MediaStatus,
    Post,
    Redirect,
    Revision,
    Tag,
)
from blog.selectors import comments as comment_selectors
from blog.selectors import media as media_selectors
from blog.selectors import posts as post_selectors
from blog.selectors import taxonomy as taxonomy_selectors
from blog.services import comments as comment_services
from blog.services import media as media_services
from blog.services import posts as post_services
from blog.services import redirects as redirect_services
from blog.services import taxonomy as taxonomy_services
from config.admin import RoleAdminMixin
from config.errors import DomainError, InvalidInput


class RevisionInline(RoleAdminMixin, admin.TabularInline):
    """Read-only history; shown to whoever may see the post (by role, like the models:
    without the mixin Django's permission table would hide it from every editor)."""

    model = Revision
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "title", "body_format", "body")
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _media_url(media: Media, rendition: str | None = None) -> str:
    """A rendition's URL (the original's while there is none yet), "" for a remote image
    (the admin does not load images from elsewhere)."""
    if media.status == MediaStatus.REMOTE or not media.file:
        return ""
    chosen = (media.renditions or {}).get(rendition or "")
    return default_storage.url(chosen["name"] if chosen else media.file.name or "")


def media_thumbnail(media: Media | None, width: int = 120) -> SafeString:
    """A small preview of a library image (alt text included), or a word for none."""
    if media is None:
        return format_html("{}", "—")
    url = _media_url(media, "thumbnail")
    if not url:
        return format_html("<span>{}</span>", media.get_status_display())
    return format_html(
        '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px" loading="lazy">',
        url,
        media.alt_text,
        width,
        width,
    )


class FeaturedImageWidget(ForeignKeyRawIdWidget):
    """The featured-image picker: a media id, the library (thumbnails, search) to pick it
    from in a popup, and a preview of the chosen image."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        picker = super().render(name, value, attrs, renderer)
        media = Media.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        preview = media_thumbnail(media, width=200) if media else ""
        return format_html('{}<div class="featured-image-preview">{}</div>', picker, preview)


class PostAdminForm(forms.ModelForm):
    tag_list = forms.CharField(
        required=False, help_text="Comma-separated tags; unknown ones are created."
    )

    class Meta:
        model = Post
        fields = [
            "title", "excerpt", "body", "body_format", "category", "featured_image",
            "allow_comments", "publish_at",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_list"].initial = ", ".join(
                post_selectors.post_tag_names(post=self.instance)
            )

    def clean_tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tag_list"].split(",") if t.strip()]


_PostAction = Callable[[admin.ModelAdmin, HttpRequest, QuerySet[Post]], None]


def _transition_action(service: Callable[..., Post], description: str) -> _PostAction:
    @admin.action(description=description)
    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        done = 0
        failed: list[str] = []
        for post in queryset:
            try:
                service(post=post, actor=request_user(request))
                done += 1
            except DomainError as exc:
                failed.append(f"{post.slug}: {exc.message}")
        modeladmin.message_user(request, f"{done} post(s) updated.")
        if failed:
            modeladmin.message_user(request, "; ".join(failed), messages.WARNING)

    run.__name__ = service.__name__
    return run


@admin.register(Post)
class PostAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = PostAdminForm
    list_display = ["title", "status", "author", "category", "published_at", "view_count"]
    list_filter = ["status", "body_format", "category", "author", "published_at"]
    search_fields = ["title", "slug", "body"]
    list_select_related = ["author", "category"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "slug", "status", "author", "published_at", "created_at", "updated_at", "view_count",
        "comment_count", "reading_time_minutes",
    ]  # fmt: skip
    raw_id_fields = ["featured_image"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "excerpt",
                    "body",
                    "body_format",
                    "tag_list",
                    "category",
                    "featured_image",
                )  # fmt: skip
            },
        ),
        ("Publishing", {"fields": ("status", "publish_at", "published_at", "allow_comments")}),
        (
            "Details",
            {
                "fields": (
                    "author",
                    "created_at",
                    "updated_at",
                    "view_count",
                    "comment_count",
                    "reading_time_minutes",
                )  # fmt: skip
            },
        ),
    )
    inlines = [RevisionInline]
    actions = [
        _transition_action(post_services.post_publish, "Publish (or schedule) selected posts"),
        _transition_action(post_services.post_unpublish, "Unpublish selected posts"),
        _transition_action(post_services.post_archive, "Archive selected posts"),
    ]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "featured_image":
            kwargs["widget"] = FeaturedImageWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Post, form: forms.Form, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in PostAdminForm.Meta.fields}
        tags = form.cleaned_data["tag_list"]
        try:
            if change:
                original = post_selectors.post_get_by_id(post_id=obj.pk)
                changes = {n: v for n, v in data.items() if n in form.changed_data}
                if "tag_list" in form.changed_data:
                    changes["tags"] = tags
                post = post_services.post_update(
                    post=original, actor=request_user(request), **changes
                )
            else:
                post = post_services.post_create(author=request_user(request), tags=tags, **data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk, obj.slug = post.pk, post.slug

    def save_related(
        self, request: HttpRequest, form: forms.Form, formsets: Any, change: bool
    ) -> None:
        # Tags were saved by the service. The revisions inline is view-only, so saving its
        # formset writes nothing, but it must run: the change message reads its results.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        post_services.post_delete(post=obj, actor=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            post_services.post_delete(post=post, actor=request_user(request))


_CommentAction = Callable[[admin.ModelAdmin, HttpRequest, QuerySet[Comment]], None]


def _moderation_action(status: str) -> _CommentAction:
    @admin.action(description=f"Mark selected comments as {status}")
    def run(
        modeladmin: admin.ModelAdmin,
        request: HttpRequest,
        queryset: QuerySet[Comment],
    ) -> None:
        count = comment_services.comment_moderate_many(
            comments=queryset, actor=request_user(request), status=status
        )
        modeladmin.message_user(request, f"{count} comment(s) marked {status}.")

    run.__name__ = f"mark_{status}"
    return run


class PendingFirst(admin.SimpleListFilter):
    title = "moderation"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("pending", "Needs moderation")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        if self.value() == "pending":
            return comment_selectors.comment_filter_pending(queryset=queryset)
        return queryset


@admin.register(Comment)
class CommentAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ["id", "short_body", "author", "post", "status", "created_at"]
    list_filter = [PendingFirst, "status", "created_at"]
    search_fields = ["body", "author__username", "post__title"]
    list_select_related = ["author", "post"]
    readonly_fields = ["post", "author", "parent", "status", "created_at", "updated_at"]
    fields = ("post", "author", "parent", "body", "status", "created_at", "updated_at")
    ordering = ["-created_at"]
    actions = [_moderation_action(s) for s in CommentStatus.values]

    @admin.display(description="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Comment, form: forms.Form, change: bool
    ) -> None:
        try:
            comment_services.comment_update(
                comment=obj, actor=request_user(request), body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        comment_services.comment_delete(comment=obj, actor=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        for comment in queryset:
            comment_services.comment_delete(comment=comment, actor=request_user(request))


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "description", "parent"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:  # only on the add page; the slug is stable afterwards
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Leave empty to derive it from the name."
        if "parent" in self.fields:
            # Never itself or one of its descendants (a loop): the service refuses them too,
            # but a form error beats an error page.
            parent_field = self.fields["parent"]
            assert isinstance(parent_field, forms.ModelChoiceField)
            parent_field.queryset = taxonomy_selectors.category_parent_choices(
                category=self.instance if self.instance.pk else None
            )


class TaxonomyAdminMixin:
    """Saves and deletes categories and tags through their services (events, cache
    invalidation, search vectors), never with the model's own save()."""

    kind = ""  # "category" or "tag": the services are <kind>_create/_update/_delete
    service_fields: tuple[str, ...] = ("name", "slug")  # what the form passes to them

    def _service(self, action: str) -> Callable[..., Category | Tag]:
        return getattr(taxonomy_services, f"{self.kind}_{action}")

    def _current(self, obj: Category | Tag) -> Category | Tag:
        """The object as stored, before the form's changes (`<kind>_get_by_id`)."""
        get_by_id = getattr(taxonomy_selectors, f"{self.kind}_get_by_id")
        return get_by_id(**{f"{self.kind}_id": obj.pk})

    def save_model(
        self, request: HttpRequest, obj: Category | Tag, form: forms.Form, change: bool
    ) -> None:
        data = {n: v for n, v in form.cleaned_data.items() if n in self.service_fields}
        try:
            if change:
                changes = {n: v for n, v in data.items() if n in form.changed_data}
                current = self._current(obj)
                saved = self._service("update")(
                    **{self.kind: current}, actor=request_user(request), **changes
                )
            else:
                data["slug"] = data.get("slug") or ""
                saved = self._service("create")(actor=request_user(request), **data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk, obj.slug = saved.pk, saved.slug

    def delete_model(self, request: HttpRequest, obj: Category | Tag) -> None:
        self._service("delete")(**{self.kind: obj}, actor=request_user(request))

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Category] | QuerySet[Tag]
    ) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Category)
class CategoryAdmin(TaxonomyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    kind = "category"
    service_fields = ("name", "slug", "description", "parent")
    form = CategoryAdminForm
    list_display = ["name", "slug", "parent", "created_at"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "description"]
    fields = ["name", "slug", "description", "parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return [] if obj is None else ["slug"]


@admin.register(Tag)
class TagAdmin(TaxonomyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    kind = "tag"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MediaRoleAdminMixin(RoleAdminMixin):
    """The media library by role, as in the API: editors manage every media, authors
    (with admin access) their own."""

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.is_staff and user.is_author)

    def _may_manage(self, request: HttpRequest, obj: Model | None) -> bool:
        if not self._allowed(request):
            return False
        user = request_user(request)
        return obj is None or user.is_editor or getattr(obj, "uploaded_by_id", None) == user.pk

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_manage(request, obj)


class MediaAddForm(forms.ModelForm):
    """An upload: the file is checked (a real JPEG, PNG, GIF or WebP, size and pixel
    limits, metadata stripped) and stored by `media_upload` while the form is validated,
    so that a refused file is an error on the form, not a failed save."""

    upload = forms.FileField(help_text="A JPEG, PNG, GIF or WebP image.")
    uploaded_by: Any = None  # set by MediaAdmin.get_form: the signed-in user
    uploaded: Media | None = None  # (not `media`: a form's `media` is its CSS and JS)

    class Meta:
        model = Media
        fields = ["alt_text", "caption"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or not cleaned.get("upload"):
            return cleaned
        try:
            self.uploaded = media_services.media_upload(
                uploaded_by=self.uploaded_by,
                file=cleaned["upload"],
                alt_text=cleaned.get("alt_text", ""),
                caption=cleaned.get("caption", ""),
            )
        except DomainError as exc:
            fields = exc.fields or {"upload": [exc.message]}
            for name, problems in fields.items():
                self.add_error(name if name in self.fields else "upload", problems)
        return cleaned


@admin.register(Media)
class MediaAdmin(MediaRoleAdminMixin, admin.ModelAdmin):
    """The media library: thumbnails, search, filters; uploads, alt text and caption, and
    deletes go through `blog.services.media` (events, renditions job, files)."""

    list_display = [
        "thumbnail", "alt_text", "original_name", "status", "dimensions", "size",
        "uploaded_by", "created_at",
    ]  # fmt: skip
    list_display_links = ["thumbnail", "alt_text"]
    list_filter = ["status", ("uploaded_by", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["alt_text", "caption", "original_name"]
    list_select_related = ["uploaded_by"]
    list_per_page = 50
    date_hierarchy = "created_at"
    readonly_fields = [
        "preview", "file_link", "original_name", "content_type", "size", "dimensions",
        "status", "error", "uploaded_by", "created_at", "updated_at", "source_url", "used_by",
    ]  # fmt: skip
    fieldsets = (
        (None, {"fields": ("preview", "alt_text", "caption")}),
        (
            "File",
            {
                "fields": (
                    "file_link",
                    "original_name",
                    "content_type",
                    "size",
                    "dimensions",
                    "status",
                    "error",
                    "source_url",
                )  # fmt: skip
            },
        ),
        ("Details", {"fields": ("uploaded_by", "created_at", "updated_at", "used_by")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Media]:
        return media_selectors.media_visible_queryset(user=request_user(request))

    def get_fieldsets(self, request: HttpRequest, obj: Media | None = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("upload", "alt_text", "caption")}),)
        return self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Media | None = None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Media | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = MediaAddForm
        form = super().get_form(request, obj, change, **kwargs)
        # A class made for this request (modelform_factory): the uploader goes on it.
        form.uploaded_by = request_user(request)  # type: ignore[attr-defined]
        return form

    @admin.display(description="image")
    def thumbnail(self, media: Media) -> SafeString:
        return media_thumbnail(media)

    @admin.display(description="preview")
    def preview(self, media: Media) -> SafeString:
        return media_thumbnail(media, width=400)

    @admin.display(description="file")
    def file_link(self, media: Media) -> SafeString:
        url = _media_url(media)
        return format_html('<a href="{}">{}</a>', url, media.file.name) if url else format_html("")

    @admin.display(description="size (px)")
    def dimensions(self, media: Media) -> str:
        return f"{media.width} × {media.height}" if media.width and media.height else ""

    @admin.display(description="featured image of")
    def used_by(self, media: Media) -> SafeString:
        posts = media.featured_in.order_by("-id")[:20]
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:blog_post_change", args=[p.pk]), p.title) for p in posts),
        )

    def save_model(self, request: HttpRequest, obj: Media, form: forms.Form, change: bool) -> None:
        if not change:
            # Stored and recorded while the form was validated (MediaAddForm.clean).
            media = getattr(form, "uploaded", None)
            assert media is not None
            obj.pk, obj.file, obj.status = media.pk, media.file, media.status
            return
        current = Media.objects.get(pk=obj.pk)
        changes = {
            n: form.cleaned_data[n] for n in ("alt_text", "caption") if n in form.changed_data
        }
        try:
            media_services.media_update(media=current, actor=request_user(request), **changes)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def save_related(
        self, request: HttpRequest, form: forms.Form, formsets: Any, change: bool
    ) -> None:
        pass  # no relations edited here

    def _delete(self, request: HttpRequest, media: Media) -> bool:
        try:
            media_services.media_delete(media=media, actor=request_user(request))
        except DomainError as exc:
            self.message_user(request, f"“{media}” was not deleted: {exc.message}", messages.ERROR)
            return False
        return True

    def delete_model(self, request: HttpRequest, obj: Media) -> None:
        # Django's delete page refuses media a post uses (PROTECT) before it gets here;
        # a post that took it meanwhile is the service's 409, shown as a message.
        if not self._delete(request, obj):
            request._media_not_deleted = True  # type: ignore[attr-defined]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Media]) -> None:
        for media in queryset:
            self._delete(request, media)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if getattr(request, "_media_not_deleted", False):
            return HttpResponseRedirect(reverse("admin:blog_media_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)


class RedirectAdminForm(forms.ModelForm):
    class Meta:
        model = Redirect
        fields = ["old_path", "target", "status_code"]

    def clean(self) -> dict[str, Any]:
        # The services' checks, shown on their fields rather than as an error page.
        data = super().clean() or {}
        if {"old_path", "target", "status_code"} <= data.keys():
            try:
                redirect_services.redirect_validate(
                    old_path=data["old_path"],
                    target=data["target"],
                    status_code=int(data["status_code"]),
                )
            except InvalidInput as exc:
                for field, messages_ in (exc.fields or {"__all__": [exc.message]}).items():
                    for message in messages_:
                        self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(Redirect)
class RedirectAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Added and deleted through the services (events, cache invalidation); a redirect
    is not edited: delete it and add the right one."""

    form = RedirectAdminForm
    list_display = ["old_path", "target", "status_code", "hits", "created_at"]
    list_filter = ["status_code"]
    search_fields = ["old_path", "target"]
    readonly_fields = ["hits", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Redirect, form: forms.Form, change: bool
    ) -> None:
        try:
            saved = redirect_services.redirect_create(
                old_path=form.cleaned_data["old_path"],
                target=form.cleaned_data["target"],
                status_code=int(form.cleaned_data["status_code"]),
                actor=request_user(request),
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Redirect) -> None:
        redirect_services.redirect_delete(redirect=obj, actor=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Redirect]) -> None:
        for redirect in queryset:
            self.delete_model(request, redirect)
