"""Fail loudly, before Django starts, when PostgreSQL or Redis is configured but down.

`--create-database` (make run) also creates the PostgreSQL database of DATABASE_URL if it
does not exist yet. The test run does not pass it: pytest creates and drops its own
`test_<name>` database, and the one DATABASE_URL names would be left behind, unused.
"""

import argparse
import os
import sys

import psycopg
import redis


def check_postgres(url: str, *, create: bool) -> None:
    base, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    try:
        with psycopg.connect(base + "/postgres", connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if create and not exists.fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"Created database {name}")
    except psycopg.Error as exc:
        sys.exit(f"PostgreSQL is not reachable at {_without_password(url)}: {exc}")


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis is not reachable at {_without_password(url)}: {exc}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create the PostgreSQL database of DATABASE_URL when it is missing",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        check_postgres(database_url, create=args.create_database)
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(name, "").startswith(("redis://", "rediss://")):
            check_redis(os.environ[name])
