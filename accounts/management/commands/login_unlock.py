from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import lockout
from accounts.selectors import user_get_by_username
from accounts.services import user_login_unlock


class Command(BaseCommand):
    help = (
        "Lift the sign-in lockout of accounts locked after repeated failed logins "
        "(`user.login_unlocked` is stored). Exit 1 if a username is unknown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")

    def handle(self, *args: Any, usernames: list[str], **options: Any) -> None:
        unknown = []
        for username in usernames:
            user = user_get_by_username(username=username)
            if user is None:
                unknown.append(username)
                continue
            was_locked = lockout.login_locked_for(user.username)
            user_login_unlock(user=user)
            state = f"was locked for {was_locked} more seconds" if was_locked else "was not locked"
            self.stdout.write(f"unlocked {user.username} ({state})")
        if unknown:
            raise CommandError(f"unknown username(s): {', '.join(unknown)}")
