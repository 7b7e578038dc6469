from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from accounts import selectors, services
from accounts.api.serializers import (
    AdminUserSerializer,
    AdminUserUpdateSerializer,
    PasswordChangeSerializer,
    ProfileUpdateSerializer,
    PublicUserSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    TokenObtainPairSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.permissions import IsAdmin
from config.api.conditional import cached_read_response
from config.api.throttling import throttles_with_scope


class RegisterView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RegisterSerializer
    throttle_scope = "register"

    def get_throttles(self):
        return throttles_with_scope()

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


# simplejwt's serializer has only write-only fields: without this, the 200 has no body.
@extend_schema_view(post=extend_schema(responses=TokenPairSerializer))
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainPairSerializer
    throttle_scope = "login"

    def get_throttles(self):
        return throttles_with_scope()


class TokenRefreshView(jwt_views.TokenRefreshView):
    throttle_scope = "login"

    def get_throttles(self):
        return throttles_with_scope()


class LogoutView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RefreshTokenSerializer

    @extend_schema(request=RefreshTokenSerializer, responses={204: None})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = UserSerializer

    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=ProfileUpdateSerializer, responses=UserSerializer)
    def patch(self, request):
        serializer = ProfileUpdateSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


class PasswordChangeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PasswordChangeSerializer

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicProfileView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = PublicUserSerializer

    def get(self, request, username):
        def compute():
            user = selectors.user_get_public(username=username)
            return None if user is None else PublicUserSerializer(user).data

        # The post count follows every post change (`posts`), the rest the user's own.
        return cached_read_response(
            request,
            "user",
            compute,
            depends_on=("posts",),
            resolve=lambda: selectors.user_cache_namespaces(username=username),
        )


class AdminUserView(GenericAPIView):
    permission_classes = [IsAdmin]
    serializer_class = AdminUserSerializer

    @extend_schema(request=AdminUserUpdateSerializer, responses=AdminUserSerializer)
    def patch(self, request, username):
        user = selectors.user_get_by_username(username=username)
        if user is None:
            raise Http404
        serializer = AdminUserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_admin_update(
            user=user, actor=request.user, **serializer.validated_data
        )
        return Response(AdminUserSerializer(user).data)
