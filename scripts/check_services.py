"""Fail loudly, before Django starts, when PostgreSQL or Redis is configured but down;
create the PostgreSQL database if it does not exist yet."""

import os
import sys

import psycopg
import redis


def check_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    try:
        with psycopg.connect(base + "/postgres", connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not exists.fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"Created database {name}")
    except psycopg.Error as exc:
        sys.exit(f"PostgreSQL is not reachable at {url}: {exc}")


def check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis is not reachable at {url}: {exc}")


if __name__ == "__main__":
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        check_postgres(database_url)
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(name, "").startswith(("redis://", "rediss://")):
            check_redis(os.environ[name])
