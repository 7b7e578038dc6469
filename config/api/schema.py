"""OpenAPI generation that says what the server does.

Besides the success responses drf-spectacular infers, every operation documents the
problem documents it can answer, and request bodies say what the strict serializers
refuse (unknown fields, empty lists). A client generated from the schema, or a fuzzer
reading it (tests/config/api/test_schemathesis.py), then meets no surprise.
"""

import re
from typing import Any

from django.core import validators
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from config.api.pagination import PageNumberPagination
from config.api.problems import PROBLEM_CONTENT_TYPE
from config.api.serializers import ProblemSerializer, StrictSerializerMixin

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_CLASS_PATTERN = re.compile(r"\^\[(.+)\]\+(?:\\Z|\$)")


def documented_problem(description: str) -> OpenApiResponse:
    """An error a view declares (`responses={409: documented_problem("...")}`); it is
    documented as a problem document, like every error."""
    return OpenApiResponse(ProblemSerializer, description=description)


def _ranges(codes: list[int]) -> str:
    """`\\u0000-\\u002c\\u002e...`: the code points as ECMA 262 class ranges."""
    parts, start = [], None
    for index, code in enumerate(codes):
        if start is None:
            start = code
        if index + 1 == len(codes) or codes[index + 1] != code + 1:
            parts.append(f"\\u{start:04x}" if start == code else f"\\u{start:04x}-\\u{code:04x}")
            start = None
    return "".join(parts)


def json_schema_pattern(regex: re.Pattern) -> str | None:
    """A Python pattern `^[...]+\\Z` using the Unicode `\\w`, as a JSON Schema pattern.

    JSON Schema patterns are ECMA 262, where `\\w` is ASCII: `^[-\\w]+$` would refuse
    the slug `über-café` the server makes. The pattern returned is exact on ASCII and
    accepts every other character (letters of any script; the server's rule beyond
    ASCII cannot be written portably). None for any other shape of pattern.
    """
    match = _CLASS_PATTERN.fullmatch(regex.pattern)
    if match is None:
        return None
    char_class = re.compile(f"[{match.group(1)}]", regex.flags)
    refused = [code for code in range(128) if not char_class.fullmatch(chr(code))]
    return f"^[^{_ranges(refused)}]+$"


class ProblemAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "429"]  # a bad token, or throttling, can hit any endpoint
        if self.method in _WRITES or self._is_list_view():
            codes.append("400")
        if self.method in _WRITES or self._requires_a_role() or self._object_rule():
            codes.append("403")
        if "{" in self.path or self._numbered_pages():
            codes.append("404")
        if self.method in ("PUT", "PATCH") and "{slug}" in self.path:
            codes.append("412")
        return codes

    def _requires_a_role(self) -> bool:
        """A permission beyond "signed in" (editors only, admins only) answers 403."""
        return any(
            not isinstance(permission, (AllowAny, IsAuthenticated))
            for permission in self.view.get_permissions()
        )

    def _object_rule(self) -> bool:
        """A signed-in read of one object (a post's revisions, its stats) may be refused by
        the object's own rule: only its author and editors."""
        return "{" in self.path and any(
            isinstance(permission, IsAuthenticated) for permission in self.view.get_permissions()
        )

    def _numbered_pages(self) -> bool:
        """A numbered list answers 404 for a page past its last."""
        return self._is_list_view() and isinstance(self._get_paginator(), PageNumberPagination)

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code in self._error_codes():
            if code not in bodies:
                bodies[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
                )
        # An error declared on a view (`409: ...`) gets the default media type; the
        # server answers every error as a problem document.
        for code, body in bodies.items():
            content = body.get("content", {})
            if code[0] in "45" and "application/json" in content:
                body["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
        return bodies

    def _get_request_for_media_type(
        self, serializer: Any, direction: Direction = "request"
    ) -> tuple[Any, bool]:
        if self.method == "PATCH" and not getattr(serializer, "partial_on_patch", True):
            # drf-spectacular makes every PATCH body partial; this view validates it in
            # full, so the body is documented as for PUT.
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _map_basic_serializer(self, serializer: Any, direction: Direction) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializerMixin):
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(
        self, field: Any, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any] | None:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        lists = (serializers.ListField, serializers.MultipleChoiceField)
        if (
            schema is not None
            and direction == "request"
            and isinstance(field, lists)
            and not field.allow_empty
            and schema.get("type") == "array"
        ):
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        # A blank-allowing field has its pattern under `oneOf` (blank or the pattern).
        for target in (schema, *schema.get("oneOf", [])):
            if "\\w" in target.get("pattern", ""):
                target.pop("pattern")
                regex = _unicode_word_regex(field)
                pattern = json_schema_pattern(regex) if regex is not None else None
                if pattern is not None:
                    target["pattern"] = pattern


def _unicode_word_regex(field: Any) -> re.Pattern | None:
    for validator in field.validators:
        if isinstance(validator, validators.RegexValidator):
            regex = validator.regex
            regex = regex if isinstance(regex, re.Pattern) else re.compile(regex)
            if "\\w" in regex.pattern:
                return regex
    return None
