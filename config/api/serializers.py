"""Serializer pieces shared by every app's API."""

from collections.abc import Mapping

from rest_framework import serializers


class StrictSerializerMixin:
    """Rejects fields the endpoint does not know, instead of silently ignoring them.

    A typo in a field name (`titel`) is then a 400 naming the field, not a no-op 200.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document, the body of every error response."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
