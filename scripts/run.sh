#!/usr/bin/env bash
# Start the whole system with demo content. Embedded default (SQLite, local-memory cache,
# in-process jobs) unless DATABASE_URL / REDIS_URL are set; then PostgreSQL, Redis and
# real Celery workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}

python scripts/check_services.py
python manage.py migrate --no-input
python manage.py seed_demo

mkdir -p var
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  celery -A config worker --loglevel=INFO -Q critical,high,default,low > var/worker.log 2>&1 &
  pids+=($!)
  jobs_mode="Celery worker on $REDIS_URL (log: var/worker.log)"
else
  jobs_mode="in-process (no REDIS_URL)"
fi
# The beat sends periodic jobs (scheduled publishing); in the embedded default it runs
# them itself, in-process.
celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule > var/beat.log 2>&1 &
pids+=($!)

cat <<INFO

  Blog platform is starting on http://$HOST:$PORT/
    API docs     http://$HOST:$PORT/api/v1/docs/
    Admin        http://$HOST:$PORT/admin/
    Feeds        http://$HOST:$PORT/feeds/rss/  http://$HOST:$PORT/feeds/atom/
    Database     $(python -c "from django.conf import settings; import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings'); django.setup(); print(settings.DATABASES['default']['ENGINE'].rsplit('.',1)[-1])")
    Jobs         $jobs_mode

  Demo logins (password for all: demo-pass-2026!)
    admin   (admin role, superuser)
    editor  (editor)
    author  (author)
    reader  (reader)

INFO
python manage.py runserver "$HOST:$PORT"
