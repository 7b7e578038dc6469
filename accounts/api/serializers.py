from typing import Any, cast

from rest_framework import exceptions, serializers
from rest_framework_simplejwt import serializers as jwt_serializers

from accounts import services
from accounts.models import Role, User
from config.api.serializers import StrictSerializer, StrictSerializerMixin


class UserSerializer(serializers.ModelSerializer):
    """One's own profile (and the user object answered on registration)."""

    role = serializers.CharField(source="effective_role", read_only=True)

    class Meta:
        model = User
        fields = [
            "id", "username", "email", "display_name", "bio", "role", "date_joined",
            "email_notifications",
        ]  # fmt: skip
        read_only_fields = ["id", "username", "role", "date_joined"]


class ProfileUpdateSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["email", "display_name", "bio", "email_notifications"]
        extra_kwargs = {"email": {"required": False, "allow_blank": False}}


class PublicUserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="effective_role", read_only=True)
    post_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = User
        fields = ["username", "display_name", "bio", "role", "date_joined", "post_count"]


class RegisterSerializer(StrictSerializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Letters, digits and @/./+/-/_ only."},
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class PasswordChangeSerializer(StrictSerializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetAcceptedSerializer(serializers.Serializer):
    """The answer to a reset request: the same whatever the address."""

    detail = serializers.CharField()


class PasswordResetConfirmSerializer(StrictSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshTokenSerializer(StrictSerializer):
    refresh = serializers.CharField()


class AdminUserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="effective_role", read_only=True)

    class Meta:
        model = User
        fields = [
            "id", "username", "email", "display_name", "bio", "role", "is_active", "date_joined",
        ]  # fmt: skip
        read_only_fields = fields


class AdminUserUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class TokenPairSerializer(serializers.Serializer):
    """The answer to a sign-in: a short-lived access token and the refresh token."""

    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="Exchange at /auth/token/refresh/ for new tokens.")


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's login behind the lockout (429 `login_locked`), recording
    `user.logged_in` and `user.login_failed` events."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        services.user_login_guard(username=str(attrs.get(self.username_field, "")))
        try:
            data = super().validate(attrs)
        except exceptions.AuthenticationFailed as exc:
            services.user_record_login_failure(
                username=str(attrs.get(self.username_field, "")), reason=str(exc.get_codes())
            )
            raise
        # super().validate() raised unless a user authenticated.
        services.user_record_login(user=cast(User, self.user))
        return data
