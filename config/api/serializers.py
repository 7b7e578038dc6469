"""Serializer pieces shared by every app's API."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    # The mixin always comes before a Serializer class: that is what it extends.
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


class StrictSerializerMixin(_SerializerBase):
    """Rejects fields the endpoint does not know, instead of silently ignoring them.

    A typo in a field name (`titel`) is then a 400 naming the field, not a no-op 200.
    """

    def to_internal_value(self, data: Any) -> Any:
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
    # A declared field named like Serializer.fields: DRF's metaclass moves it into
    # _declared_fields, so the property is not shadowed at run time; the stub cannot know.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
