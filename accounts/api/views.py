from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt import views as jwt_views

from accounts import selectors, services
from accounts.api.serializers import (
    AdminUserSerializer,
    AdminUserUpdateSerializer,
    PasswordChangeSerializer,
    PasswordResetAcceptedSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    ProfileUpdateSerializer,
    PublicUserSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    TokenObtainPairSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.requests import AuthenticatedRequest
from config.api.conditional import conditional_response, request_key
from config.api.permissions import IsAdmin
from config.api.throttling import throttles_with_scope
from config.cache import cached_result, reads_cached


class RegisterView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RegisterSerializer
    throttle_scope = "register"

    def get_throttles(self) -> list[BaseThrottle]:
        return throttles_with_scope()

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


# simplejwt's serializer has only write-only fields: without this, the 200 has no body.
@extend_schema_view(post=extend_schema(responses=TokenPairSerializer))
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainPairSerializer
    throttle_scope = "login"

    def get_throttles(self) -> list[BaseThrottle]:
        return throttles_with_scope()


class TokenRefreshView(jwt_views.TokenRefreshView):
    throttle_scope = "login"

    def get_throttles(self) -> list[BaseThrottle]:
        return throttles_with_scope()


class LogoutView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RefreshTokenSerializer

    @extend_schema(request=RefreshTokenSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@cached_result(lambda user_id: f"user:{user_id}", key=lambda user_id: str(user_id), sensitive=True)
def own_profile_data(user_id: int) -> dict[str, Any]:
    """One's own profile as `GET /users/me/` shows it: cached encrypted (it holds the
    e-mail address) in the user's namespace, which every `user.*` event invalidates."""
    # Loaded here, not taken from the request: the cache read the namespace's generation
    # first, so a change committed since the request loaded its user is not stored as
    # current.
    user = selectors.user_get_by_id(user_id=user_id)
    if user is None:
        raise Http404
    return UserSerializer(user).data


class MeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = UserSerializer

    def get(self, request: AuthenticatedRequest) -> Response:
        if not reads_cached():
            return Response(UserSerializer(request.user).data)
        return Response(own_profile_data(request.user.pk))

    @extend_schema(request=ProfileUpdateSerializer, responses=UserSerializer)
    def patch(self, request: AuthenticatedRequest) -> Response:
        serializer = ProfileUpdateSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


class PasswordChangeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PasswordChangeSerializer

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The one answer to every reset request, known address or not.
RESET_ACCEPTED = {
    "detail": "If an account has this address, a link to choose a new password is on its way."
}


class PasswordResetView(GenericAPIView):
    """202 whatever the address: the answer never says whether it has an account."""

    permission_classes = [AllowAny]
    serializer_class = PasswordResetSerializer
    throttle_scope = "password_reset"

    def get_throttles(self) -> list[BaseThrottle]:
        return throttles_with_scope()

    @extend_schema(
        request=PasswordResetSerializer, responses={202: PasswordResetAcceptedSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(RESET_ACCEPTED, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = PasswordResetConfirmSerializer
    # The same scope: guessing tokens is as throttled as asking for them.
    throttle_scope = "password_reset"

    def get_throttles(self) -> list[BaseThrottle]:
        return throttles_with_scope()

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicProfileView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = PublicUserSerializer

    def get(self, request: Request, username: str) -> Response:
        read = selectors.user_public_profile_read(
            username=username,
            if_none_match=request.headers.get("If-None-Match"),
            cache_key=request_key(request),
            render=lambda user: PublicUserSerializer(user).data,
        )
        return conditional_response(read)


class AdminUserView(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = AdminUserSerializer

    @extend_schema(request=AdminUserUpdateSerializer, responses=AdminUserSerializer)
    def patch(self, request: AuthenticatedRequest, username: str) -> Response:
        user = selectors.user_get_by_username(username=username)
        if user is None:
            raise Http404
        serializer = AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_admin_update(
            user=user, actor=request.user, **serializer.validated_data
        )
        return Response(AdminUserSerializer(user).data)
