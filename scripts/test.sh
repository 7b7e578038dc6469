#!/usr/bin/env bash
# The test suite: lint, types, migrations, the OpenAPI schema, then pytest on PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

# pytest runs on test_<name> (created and dropped by pytest-django); nothing creates or
# uses the database named here.
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/blog}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-test-secret-key-not-for-production-0123456789abcdef}
export DJANGO_DEBUG=0
# The test client speaks plain HTTP; production keeps the redirect on.
export DJANGO_SECURE_SSL_REDIRECT=0

python scripts/check_services.py

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
# mypy.ini's django-stubs plugin loads config.settings: it needs the variables exported above.
mypy
echo "== migrations"
# The models against the migration files; the consistency check against a database that
# need not exist (see DATABASE_URL above) has nothing to say here.
python -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
  manage.py makemigrations --check --dry-run
echo "== OpenAPI schema"
python manage.py spectacular --validate --fail-on-warn --file /dev/null
# The browser test (tests/e2e/) drives Debian's chromium: without it (no root to install
# it) the test is skipped on a developer's machine, and fails in CI.
if ! bash scripts/ensure_chromium.sh && [ "${CI:-}" = "true" ]; then
  exit 1
fi
echo "== pytest"
python -m pytest "$@"
