#!/usr/bin/env bash
# The test suite: lint, migrations, the OpenAPI schema, then pytest on PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/blog}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-test-secret-key-not-for-production-0123456789abcdef}
export DJANGO_DEBUG=0
# The test client speaks plain HTTP; production keeps the redirect on.
export DJANGO_SECURE_SSL_REDIRECT=0

python - <<'PY'
import os, sys
import psycopg, redis
url = os.environ["DATABASE_URL"]
try:
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5, autocommit=True) as conn:
        name = url.rsplit("/", 1)[1].split("?")[0]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
except Exception as exc:
    sys.exit(f"PostgreSQL is not reachable at {os.environ['DATABASE_URL']}: {exc}")
try:
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5).ping()
except Exception as exc:
    sys.exit(f"Redis is not reachable at {os.environ['REDIS_URL']}: {exc}")
PY

echo "== ruff"
ruff check .
ruff format --check .
echo "== migrations"
python manage.py makemigrations --check --dry-run
echo "== OpenAPI schema"
python manage.py spectacular --validate --fail-on-warn --file /dev/null
echo "== pytest"
python -m pytest "$@"
