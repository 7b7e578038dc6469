"""Serializer pieces shared by every app's API."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    # The mixin always comes before a Serializer class: that is what it extends.
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object

# Fields the schema documents as JSON strings (choices too, when their values are).
_STRING_FIELDS = (
    serializers.CharField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.SlugRelatedField,
)
_NUL_MESSAGE = "Null characters are not allowed."


def _string_choices(field: serializers.ChoiceField) -> bool:
    return all(isinstance(key, str) for key in field.choices)


def json_type_error(field: serializers.Field, value: Any) -> Any:
    """Why `value`, as parsed from JSON, is not of the type documented for `field`: a
    message, a `{index: error}` dict for a list's items, or None when it is. `null` is
    left to the field (`allow_null`).

    DRF's own parsing is lenient (`0` is a string, `"yes"` a boolean, `"1"` an integer);
    a strict serializer refuses a value of another JSON type first, as the schema does.
    """
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be a valid boolean."
    if isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "A valid integer is required."
    if isinstance(field, serializers.FloatField):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "A valid number is required."
    if isinstance(field, (serializers.ListField, serializers.MultipleChoiceField)):
        if not isinstance(value, list):
            return f'Expected a list of items but got type "{type(value).__name__}".'
        child = (
            field.child
            if isinstance(field, serializers.ListField)
            else serializers.ChoiceField(choices=field.choices)
        )
        errors = {i: e for i, item in enumerate(value) if (e := json_type_error(child, item))}
        return errors or None
    if isinstance(field, serializers.ChoiceField) and not _string_choices(field):
        return None
    if isinstance(field, (*_STRING_FIELDS, serializers.ChoiceField)):
        if not isinstance(value, str):
            return "Not a valid string."
        # DRF reads "" as null for a related field; the schema says a non-empty slug.
        if value == "" and isinstance(field, serializers.RelatedField):
            return "This field may not be blank."
        # PostgreSQL refuses NUL in text: a field that reaches a query (a slug looked
        # up, a choice) would fail there as a 500.
        return _NUL_MESSAGE if "\x00" in value else None
    return None


class StrictSerializerMixin(_SerializerBase):
    """Rejects fields the endpoint does not know, and values of another JSON type than
    the documented one, instead of ignoring or coercing them.

    A typo in a field name (`titel`) is then a 400 naming the field, not a no-op 200, and
    `{"allow_comments": 0}` a 400, not `false`. The schema says both: its request bodies
    forbid additional properties (config/api/schema.py).

    `partial_on_patch = False` declares that the views validate a PATCH body in full
    (every required field), so the schema's PATCH body keeps them required.
    """

    partial_on_patch = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - set(writable))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            errors = {}
            for name, value in data.items():
                error = json_type_error(writable[name], value)
                if error:
                    errors[name] = error if isinstance(error, dict) else [error]
            if errors:
                raise serializers.ValidationError(errors)
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
