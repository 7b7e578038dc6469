#!/usr/bin/env bash
# Start the whole system with demo content. Embedded default (SQLite, a file cache in
# var/cache/, in-process jobs) unless DATABASE_URL / REDIS_URL are set; then PostgreSQL,
# Redis and real Celery workers. Development only: DJANGO_DEBUG is on.
#
# The terminal shows a few lines, then the banner once the server answers; the
# migrations' and the demo seed's output (its e-mails, printed by the console e-mail
# backend) go to var/setup.log. Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}
URL="http://$HOST:$PORT"

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
if port_open; then
  echo "Something already listens on $HOST:$PORT; stop it or choose another PORT=." >&2
  exit 1
fi

python scripts/check_services.py --create-database

mkdir -p var
setup_log=var/setup.log
# Runs a setup step with its output in the log; on failure, shows the end of it.
step() {
  local what=$1
  shift
  echo "== $what"
  if ! "$@" >>"$setup_log" 2>&1; then
    tail -n 30 "$setup_log" >&2
    echo "$what failed; the whole output is in $setup_log" >&2
    exit 1
  fi
}
: >"$setup_log"
step "migrating the database" python manage.py migrate --no-input
step "loading the demo content (once)" python manage.py seed_demo

pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
# Runs a process for as long as this script runs, starting it again when it dies (a
# worker that kombu could not recover after a Redis restart, an out-of-memory kill), as
# systemd's Restart=always does in production (deploy/systemd/).
supervise() {
  local log=$1
  shift
  : >"$log"
  (
    child=
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM INT
    while true; do
      "$@" >>"$log" 2>&1 &
      child=$!
      wait "$child" || true
      echo "== $(date -u +%FT%TZ) $1 exited; starting it again in 2 s" >>"$log"
      sleep 2
    done
  ) &
  pids+=($!)
}
if [ -n "${REDIS_URL:-}" ]; then
  supervise var/worker.log celery -A config worker --loglevel=INFO -Q critical,high,default,low
  jobs_mode="Celery worker on Redis (log: var/worker.log)"
  cache_mode="Redis"
else
  jobs_mode="in-process (no REDIS_URL)"
  cache_mode="files in var/cache/ (no REDIS_URL)"
fi
# The beat sends periodic jobs (scheduled publishing); in the embedded default it runs
# them itself, in-process.
supervise var/beat.log celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule

if [ -n "${DATABASE_URL:-}" ]; then
  # The password, if any, stays off the terminal.
  database="PostgreSQL $(sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$DATABASE_URL")"
else
  database="SQLite (var/db.sqlite3)"
fi

banner() {
  cat <<INFO

  Blog platform is running on $URL/  (development mode: DJANGO_DEBUG is on)
    API docs     $URL/api/v1/docs/
    Admin        $URL/admin/   (analytics dashboard: $URL/admin/dashboard/)
    Health       $URL/health/
    Feeds        $URL/feeds/rss/  $URL/feeds/atom/
    Database     $database
    Cache        $cache_mode
    Jobs         $jobs_mode
    Setup log    $setup_log

  Demo logins (password for all: demo-pass-2026!)
    admin   (admin role, superuser)
    editor  (editor)
    author  (author)
    reader  (reader)

  Stop with Ctrl-C (stops the server, the beat and the worker; a worker or beat that
  dies meanwhile is started again).

INFO
}
# Printed once the server answers, so that it comes after runserver's own start-up lines.
(
  for _ in $(seq 1 240); do
    if port_open; then
      banner
      exit 0
    fi
    sleep 0.25
  done
  echo "The server did not answer on $URL within a minute." >&2
) &
pids+=($!)
python manage.py runserver "$HOST:$PORT"
