"""`GET /api/v1/admin/stats/`: the site's numbers for editors; `GET
/api/v1/posts/{slug}/stats/`: a post's, for its author and editors."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from analytics.selectors import post_stats_for_editor, site_stats
from config.api.permissions import IsEditor


def _counts(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class UserStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    by_role = _counts("Users per role (a superuser counts as admin).")


class StatusCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = _counts("Count per status.")


class MediaStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    bytes = serializers.IntegerField(help_text="Size of the originals (renditions not counted).")
    by_status = _counts("Media per status.")


class EventStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    last_24h = serializers.IntegerField()
    by_type = _counts("Stored events per type.")


class CacheStatsSerializer(serializers.Serializer):
    backend = serializers.CharField()
    hits = serializers.IntegerField()
    misses = serializers.IntegerField()
    hit_rate = serializers.FloatField(allow_null=True)


class TaskStatsSerializer(serializers.Serializer):
    by_status = _counts("Job records per status.")
    by_queue = _counts("Job records per queue.")


class TrendingPostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    views = serializers.IntegerField()
    comments = serializers.IntegerField()
    score = serializers.IntegerField()


class SiteStatsSerializer(serializers.Serializer):
    users = UserStatsSerializer()
    posts = StatusCountsSerializer()
    comments = StatusCountsSerializer()
    media = MediaStatsSerializer()
    events = EventStatsSerializer()
    cache = CacheStatsSerializer()
    tasks = TaskStatsSerializer()
    trending = TrendingPostSerializer(
        many=True, help_text="Published posts by views + 5 x comments over the last 7 days."
    )


class SiteStatsView(APIView):
    permission_classes = [IsEditor]

    @extend_schema(responses=SiteStatsSerializer, operation_id="admin_stats_retrieve")
    def get(self, request: Request) -> Response:
        return Response(SiteStatsSerializer(site_stats()).data)


class DailyStatsSerializer(serializers.Serializer):
    date = serializers.DateField()
    views = serializers.IntegerField()
    comments = serializers.IntegerField()


class PostStatsSerializer(serializers.Serializer):
    view_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    daily = DailyStatsSerializer(many=True)


# Under the posts' URLs and schema tag, but analytics': the blog does not import analytics.
class PostStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=PostStatsSerializer, operation_id="posts_stats_retrieve", tags=["posts"]
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        stats = post_stats_for_editor(slug=slug, user=request.user)
        if stats is None:
            raise Http404
        return Response(PostStatsSerializer(stats).data)
