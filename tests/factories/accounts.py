"""Factories of users, one per role, all with the password PASSWORD."""

import functools

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Role, User

PASSWORD = "correct-horse-battery-42"
# Another password the validators accept: for registrations and password changes.
STRONG_PASSWORD = "tangerine-lighthouse-917"


@functools.cache
def _password_hash() -> str:
    # Hashing with Argon2 is slow by design: hash once, give every factory user the hash.
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    role = Role.READER
    is_staff = factory.LazyAttribute(lambda u: u.role in (Role.EDITOR, Role.ADMIN))
    password = factory.LazyFunction(_password_hash)


class ReaderFactory(UserFactory):
    role = Role.READER


class AuthorFactory(UserFactory):
    role = Role.AUTHOR


class EditorFactory(UserFactory):
    role = Role.EDITOR


class AdminFactory(UserFactory):
    role = Role.ADMIN
