"""The editors' admin. Every write goes through the blog's services, as the API's do."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.requests import request_user
from blog.models import Category, Comment, CommentStatus, Post, Revision, Tag
from blog.selectors import comments as comment_selectors
from blog.selectors import posts as post_selectors
from blog.selectors import taxonomy as taxonomy_selectors
from blog.services import comments as comment_services
from blog.services import posts as post_services
from blog.services import taxonomy as taxonomy_services
from config.admin import RoleAdminMixin
from config.errors import DomainError


class RevisionInline(RoleAdminMixin, admin.TabularInline):
    """Read-only history; shown to whoever may see the post (by role, like the models:
    without the mixin Django's permission table would hide it from every editor)."""

    model = Revision
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "title", "body")
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PostAdminForm(forms.ModelForm):
    tag_list = forms.CharField(
        required=False, help_text="Comma-separated tags; unknown ones are created."
    )

    class Meta:
        model = Post
        fields = ["title", "excerpt", "body", "category", "allow_comments", "publish_at"]

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
    list_filter = ["status", "category", "author", "published_at"]
    search_fields = ["title", "slug", "body"]
    list_select_related = ["author", "category"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "slug", "status", "author", "published_at", "created_at", "updated_at", "view_count",
        "comment_count", "reading_time_minutes",
    ]  # fmt: skip
    fieldsets = (
        (None, {"fields": ("title", "slug", "excerpt", "body", "tag_list", "category")}),
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
        fields = ["name", "slug", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:  # only on the add page; the slug is stable afterwards
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Leave empty to derive it from the name."


class TaxonomyAdminMixin:
    """Saves and deletes categories and tags through their services (events, cache
    invalidation, search vectors), never with the model's own save()."""

    kind = ""  # "category" or "tag": the services are <kind>_create/_update/_delete

    def _service(self, action: str) -> Callable[..., Category | Tag]:
        return getattr(taxonomy_services, f"{self.kind}_{action}")

    def _current(self, obj: Category | Tag) -> Category | Tag:
        """The object as stored, before the form's changes (`<kind>_get_by_id`)."""
        get_by_id = getattr(taxonomy_selectors, f"{self.kind}_get_by_id")
        return get_by_id(**{f"{self.kind}_id": obj.pk})

    def save_model(
        self, request: HttpRequest, obj: Category | Tag, form: forms.Form, change: bool
    ) -> None:
        data = {n: v for n, v in form.cleaned_data.items() if n in ("name", "slug", "description")}
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
    form = CategoryAdminForm
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "description"]
    fields = ["name", "slug", "description"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return [] if obj is None else ["slug"]


@admin.register(Tag)
class TagAdmin(TaxonomyAdminMixin, RoleAdminMixin, admin.ModelAdmin):
    kind = "tag"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
