"""Reads on the media library: who may see and change which media, the list, use."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.requests import RequestUser
from blog.filters import MediaFilter
from blog.models import RENDITION_WIDTHS, Media, MediaStatus, Post
from config.db.filtering import QueryParams, apply_filterset
from config.errors import PermissionDeniedError

# Newest first; `-id` breaks ties (and is the cursor's tie-breaker).
MEDIA_ORDERING = ("-created_at", "-id")


def media_visible_queryset(*, user: RequestUser | None) -> QuerySet[Media]:
    """Every media object for editors, one's own for authors, none for anyone else."""
    qs = Media.objects.select_related("uploaded_by")
    if user is None or not user.is_authenticated or not user.is_author:
        return qs.none()
    return qs if user.is_editor else qs.filter(uploaded_by=user)


def media_list(*, user: RequestUser | None, params: QueryParams) -> QuerySet[Media]:
    """The library as the caller may see it, filtered (`search=`, `uploaded_by=`),
    newest first."""
    qs = apply_filterset(MediaFilter, params, media_visible_queryset(user=user))
    return qs.order_by(*MEDIA_ORDERING)


def media_get(*, media_id: int, user: RequestUser | None) -> Media | None:
    """The media object if the caller may see it (see `media_visible_queryset`)."""
    return media_visible_queryset(user=user).filter(pk=media_id).first()


def media_get_by_id(*, media_id: int) -> Media | None:
    """The media object whoever asks (jobs, commands)."""
    return Media.objects.select_related("uploaded_by").filter(pk=media_id).first()


def media_check_can_edit(*, media: Media, actor: User) -> None:
    """Raise PermissionDeniedError unless `actor` may change or delete the media: its
    uploader, if still an author, and editors."""
    if not (actor.is_editor or (media.uploaded_by_id == actor.pk and actor.is_author)):
        raise PermissionDeniedError("Only the uploader and editors may change this media.")


def media_in_use(*, media: Media) -> bool:
    """Whether content uses the media (a post's featured image), so it cannot go."""
    return Post.objects.filter(featured_image=media).exists()


def media_file_names(*, media: Media) -> list[str]:
    """The storage names of a media object's files: the original and its renditions."""
    names = [str(r["name"]) for r in (media.renditions or {}).values() if r.get("name")]
    return [media.file.name, *names] if media.file.name else names


def media_with_files(*, media_ids: list[int] | None = None) -> QuerySet[Media]:
    """Media that has a stored original (not `remote`), oldest first; only `media_ids`
    when given."""
    qs = Media.objects.exclude(file="").order_by("id")
    return qs.filter(pk__in=media_ids) if media_ids else qs


def media_renditions_missing(*, media: Media) -> bool:
    """Whether a rendition of the media is not recorded (not `ready`, a size added since)
    or its file is not in the storage."""
    if media.status != MediaStatus.READY or set(media.renditions or {}) != set(RENDITION_WIDTHS):
        return True
    storage = media.file.storage
    return any(not storage.exists(r["name"]) for r in media.renditions.values())
