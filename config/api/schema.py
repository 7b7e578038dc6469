"""OpenAPI generation: every operation also documents its problem-document errors."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework.permissions import AllowAny, IsAuthenticated

from config.api.problems import PROBLEM_CONTENT_TYPE
from config.api.serializers import ProblemSerializer

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ProblemAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "429"]  # a bad token, or throttling, can hit any endpoint
        if self.method in _WRITES or self._is_list_view():
            codes.append("400")
        if self.method in _WRITES or self._requires_a_role():
            codes.append("403")
        if "{" in self.path:
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

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code in self._error_codes():
            if code not in bodies:
                bodies[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
                )
        return bodies
