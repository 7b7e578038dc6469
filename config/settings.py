"""One settings tree for every environment; environments differ by environment variables.

The embedded default (no DATABASE_URL / REDIS_URL) runs on SQLite with a file cache and
in-process jobs; production sets the URLs of PostgreSQL and Redis.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from analytics import schedule as analytics_schedule
from blog import schedule as blog_schedule
from config.env import (
    env,
    env_bool,
    env_email,
    env_int,
    env_int_map,
    env_list,
    env_networks,
    env_rates,
)
from config.observability.logs import logging_config
from config.storage import default_storage_settings
from tasks import schedule as tasks_schedule
from tasks.schedule import QUEUES, schedule_merge

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-development-key-only-for-debug-mode-0123456789"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "django_structlog",
    "config",
    "accounts",
    "blog",
    "analytics",
    "tasks",
    # Import and export (WordPress WXR); the top layer.
    "transfer",
    # /health/ (config/observability/health.py); the app gives its page template and
    # `health_check` command.
    "health_check",
]

MIDDLEWARE = [
    # First and last: request counts and latency by view and status (config/observability/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.observability.middleware.RequestIdMiddleware",
    # Before anything that can answer early, so that a preflight or an error keeps the
    # CORS headers (only under /api/, CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.api.middleware.BodySizeLimitMiddleware",
    # Outside CommonMiddleware (its slash redirect comes first): a 4xx Django answers
    # itself under /api/, such as DEBUG's technical 404, becomes a problem document.
    "config.api.middleware.ProblemDocumentMiddleware",
    # Before anything reads the URL into a query: PostgreSQL refuses NUL in text.
    "config.api.middleware.NulByteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: its request_started line carries the session user's id.
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: it turns a 404 into a redirect (blog.middleware) before the middleware
    # above see the response, as django.contrib.redirects' fallback does.
    "blog.middleware.RedirectFallbackMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL, else an SQLite file for the embedded default.
VAR_DIR = BASE_DIR / "var"
if not env("DATABASE_URL"):
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# django-prometheus's subclasses of the same backends count queries, errors and timings.
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _PROMETHEUS_ENGINES.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# Cache: Redis through django-redis when REDIS_URL is set, else files in var/cache/.
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "blog"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Short timeouts: a dead Redis must cost milliseconds, not the request.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                # Redis errors are cache misses: the site answers from the database.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    # Files, not local memory: the embedded default runs the web server and the beat (which
    # runs the jobs) as two processes, and an invalidation by a job must reach the server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("CACHE_DIR", str(VAR_DIR / "cache")),
        }
    }
# The cache module (config/cache/): freshness per namespace family (the part of a
# namespace before ":"), the stale copy kept for stampedes, counters, encryption keys.
# `stats` (the editors' statistics and dashboard) is never invalidated: its TTL is how old
# those figures may be.
CACHE_TTLS = env_int_map(
    "CACHE_TTLS",
    "posts=60,post=300,categories=300,tags=300,taxonomy=300,user=300,users=300,stats=30",
)
CACHE_DEFAULT_TTL = env_int("CACHE_DEFAULT_TTL", 300)
CACHE_STALE_SECONDS = env_int("CACHE_STALE_SECONDS", 300)
CACHE_LOCK_TIMEOUT = env_int("CACHE_LOCK_TIMEOUT", 10)
CACHE_LOCK_WAIT_MS = env_int("CACHE_LOCK_WAIT_MS", 2000)
CACHE_STATS_FLUSH_EVERY = env_int("CACHE_STATS_FLUSH_EVERY", 100)
CACHE_STATS_FLUSH_SECONDS = env_int("CACHE_STATS_FLUSH_SECONDS", 5)
CACHE_DEGRADED_LOG_SECONDS = env_int("CACHE_DEGRADED_LOG_SECONDS", 60)
# After a Redis error a process skips Redis for this long (a circuit breaker).
CACHE_CIRCUIT_SECONDS = env_int("CACHE_CIRCUIT_SECONDS", 5)
# Reads served from the cache (posts, categories, tags, profiles, one's own profile, the
# editors' statistics); 0: always the DB.
CACHE_READS = env_bool("CACHE_READS", True)
# Comma-separated; the first encrypts, all decrypt (rotation: prepend the new key).
CACHE_ENCRYPTION_KEYS = env_list("CACHE_ENCRYPTION_KEYS", "") or [SECRET_KEY]

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# The media library's limits: the size of an uploaded file (413 above it), and its
# pixels, all frames of an animation together (400 above: a decompression bomb).
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000)
# Media and report files go through the default storage: the file system under MEDIA_ROOT,
# or S3-compatible object storage (MEDIA_STORAGE_URL or the AWS variables; config/storage.py).
STORAGES = {
    "default": default_storage_settings(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The platform serves the library's files at MEDIA_URL itself, DEBUG or not (blog/media_files.py);
# off, a web server in front (or the bucket) answers there instead.
MEDIA_SERVE = env_bool("MEDIA_SERVE", True)

# Public URL of the site, for links in feeds, e-mails and the API's `url` fields.
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")
# The site's name, in the admin's header and title (config/urls.py).
SITE_NAME = env("SITE_NAME", "Blog")
# The page a password-reset or invitation e-mail links to, with `?uid=...&token=...`: the
# server's own form by default (accounts/views.py), a frontend's page otherwise.
PASSWORD_RESET_URL = env("PASSWORD_RESET_URL", f"{SITE_URL}/account/reset/")
# A reset link works for an hour (and once: the token changes with the password).
PASSWORD_RESET_TIMEOUT = 3600

FEED_SIZE = env_int("FEED_SIZE", 20)

# Request bodies: Django's own limit plus an early 413 for the API (see BodySizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
# API paths that take a file (multipart, streamed to disk past FILE_UPLOAD_MAX_MEMORY_SIZE,
# never held whole in memory) and its largest size: their body may be that much larger.
API_UPLOAD_LIMITS = {"/api/v1/media/": MEDIA_MAX_UPLOAD_BYTES}

THROTTLE_RATES = env_rates(
    "THROTTLE_RATES",
    "anon=120/min,user=600/min,login=10/min,register=20/hour,comment=30/min,password_reset=10/hour",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, binding the user id to the log context (see the module).
        "config.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Filtering is the selectors' job (they apply blog.filters); views add no backends.
    "DEFAULT_FILTER_BACKENDS": [],
    # DRF's anon/user throttles counting on Redis, shared by all processes, limiting per
    # process when Redis is down (config/api/ratelimit.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.SharedAnonRateThrottle",
        "config.api.throttling.SharedUserRateThrottle",
    ],
    # Reverse proxies in front of the app: per-address throttles read the client address
    # from X-Forwarded-For only that deep; 0 ignores the header (a client can forge it).
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0),
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "EXCEPTION_HANDLER": "config.api.exceptions.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.ProblemAutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Blog platform API",
    "DESCRIPTION": "The HTTP API of the blog and content platform (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: the docs work without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PostStatusEnum": "blog.models.PostStatus",
        "CommentStatusEnum": "blog.models.CommentStatus",
        "RoleEnum": "accounts.models.Role",
        "JobStatusEnum": "tasks.models.JobStatus",
        "ReportStatusEnum": "analytics.models.ReportStatus",
    },
}

# Comments
COMMENTS_REQUIRE_MODERATION = env_bool("COMMENTS_REQUIRE_MODERATION", False)
# A comment with more links than this is held for moderation as likely spam.
COMMENT_MAX_LINKS = env_int("COMMENT_MAX_LINKS", 3)

# PostgreSQL text-search configuration used for the stored search vector.
SEARCH_CONFIG = env("SEARCH_CONFIG", "english")

# The only <iframe>s a post's body keeps (blog/rendering.py): those whose `src` starts with
# one of these https:// prefixes (a host and the start of a path), sandboxed. The server
# pages' CSP allows these hosts as frame-src. EMBED_EXTRA_URL_PREFIXES adds more.
EMBED_URL_PREFIXES = [
    "https://www.youtube.com/embed/",
    "https://youtube.com/embed/",
    "https://www.youtube-nocookie.com/embed/",
    "https://youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
    *env_list("EMBED_EXTRA_URL_PREFIXES", ""),
]
for _prefix in EMBED_URL_PREFIXES:
    if not re.fullmatch(r"https://[a-z0-9.-]+/\S*", _prefix):
        raise ImproperlyConfigured(
            f"EMBED_EXTRA_URL_PREFIXES: {_prefix!r} is not https://<host>/<path prefix>"
        )
EMBED_ORIGINS = sorted({"/".join(prefix.split("/", 3)[:3]) for prefix in EMBED_URL_PREFIXES})

# Event store retention in days (`analytics.purge_events`, daily): every type, and the
# types kept for another time (`type=days,...`; the variable overrides these per type).
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 365)
EVENT_RETENTION_DAYS_BY_TYPE = env_int_map(
    "EVENT_RETENTION_DAYS_BY_TYPE",
    "user.logged_in=90,user.login_failed=90,user.password_reset_requested=90",
)

# Webhooks: loopback, private, link-local and reserved targets are refused unless this is on
# (tests with a local receiver, intranets); a receiver gets WEBHOOK_TIMEOUT seconds a try.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
# A failed try is retried after WEBHOOK_RETRY_BACKOFF seconds, doubled each time (with
# jitter) up to WEBHOOK_RETRY_BACKOFF_MAX, nine times (analytics/webhooks/tasks.py).
WEBHOOK_RETRY_BACKOFF = max(1, env_int("WEBHOOK_RETRY_BACKOFF", 30))
WEBHOOK_RETRY_BACKOFF_MAX = max(1, env_int("WEBHOOK_RETRY_BACKOFF_MAX", 60 * 60))

# /metrics (config/observability/metrics) answers a request with
# `Authorization: Bearer <METRICS_TOKEN>`
# (when set) or from an address in METRICS_ALLOWED_NETWORKS (REMOTE_ADDR, never a
# forwarded header: behind a proxy, use the token); any other gets a 403.
METRICS_TOKEN = env("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
# With the Redis cache, every process (web, Celery worker, beat) buffers its counts of
# events and receiver failures and adds them to Redis every N counts or S seconds
# (config/observability/metrics/shared.py), and after each job and at exit.
METRICS_FLUSH_EVERY = env_int("METRICS_FLUSH_EVERY", 100)
METRICS_FLUSH_SECONDS = env_int("METRICS_FLUSH_SECONDS", 5)
# Each Celery worker announces the queues it consumes in the broker's Redis every N
# seconds (config/observability/worker_presence.py); one silent for 3 N counts as gone.
# /health/ (`queues`) and /metrics (`blog_queue_consumers`) read the announcements.
WORKER_PRESENCE_SECONDS = env_int("WORKER_PRESENCE_SECONDS", 10)

# Celery: Redis broker when REDIS_URL is set, else jobs run in-process (eager).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Each app declares its beat entries and the queues of its jobs (<app>/schedule.py).
_SCHEDULES = (tasks_schedule, blog_schedule, analytics_schedule)
CELERY_BEAT_SCHEDULE = schedule_merge(*(s.BEAT_SCHEDULE for s in _SCHEDULES))
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = schedule_merge(*(s.TASK_ROUTES for s in _SCHEDULES))
# Priorities are queues (tasks/schedule.py). Declared in priority order, so a worker
# started without -Q consumes all four, most urgent first.
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in QUEUES]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # BRPOP the queues in the order given (critical first) instead of round-robin: a
    # critical job queued behind 1,000 low ones is the next one a free worker takes.
    "queue_order_strategy": "priority",
    # An unacked message (its worker died) goes back to its queue after this long, so
    # another worker runs it within minutes. It must exceed every job's hard time limit
    # (a system check says so: tasks/checks.py); nothing else waits unacked, since
    # retries and countdowns wait in the database (tasks/base.py).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 60),
    # How often a worker looks for such messages (kombu's defaults amount to ~100 s).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
    # The lock a worker holds while it restores such messages expires after this long
    # (kombu: 300 s): a worker killed while holding it delays every restore by at most a
    # minute, so a dead worker's jobs still run again within five.
    "unacked_mutex_expire": 60,
    # Deployments (or test runs) sharing one Redis db keep their queues apart.
    "global_keyprefix": env("CELERY_BROKER_KEY_PREFIX", ""),
}
# One message at a time per process, acknowledged after the job ran: nothing waits in a
# busy worker's buffer while a more urgent job is queued, and a job whose worker is killed
# is delivered again (task_reject_on_worker_lost; jobs are idempotent).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The beat also runs the job system's sweep (tasks/beat.py) every JOB_SWEEP_SECONDS: it
# sends the jobs that are due (retries after their backoff), takes back the attempts of
# dead workers, and, for a job waiting longer than JOB_RESEND_AFTER seconds on a queue
# that is empty, sends its message again (the broker lost it).
CELERY_BEAT_SCHEDULER = "tasks.beat:JobSweepScheduler"
JOB_SWEEP_SECONDS = max(1, env_int("JOB_SWEEP_SECONDS", 5))
JOB_RESEND_AFTER = max(1, env_int("JOB_RESEND_AFTER", 5 * 60))
# Riding out a broker restart or failover (issue 11; docs/operations.md, "When Redis
# restarts"). A worker reconnects by itself; where kombu still fails, the worker exits
# and its supervisor starts it again (deploy/systemd, scripts/run.sh).
CELERY_BROKER_TRANSPORT_OPTIONS |= {
    # A broker that vanishes without closing the connection (failover, a dropped NAT
    # entry) fails a publish, an ack or a connect within seconds instead of hanging a
    # web request or the worker's loop forever (redis-py waits forever by default).
    # Above kombu's 1 s BRPOP timeout, which a synchronous drain blocks on legitimately.
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    # kombu drops a BRPOP connection whose reply is overdue by this long (and redis-py
    # pings a connection idle this long before using it): a worker on a half-open socket
    # reconnects in ~brpop_timeout + 2 * 10 s instead of ~51 s.
    "health_check_interval": 10,
    # retry_on_timeout stays off: a publish that timed out may have reached Redis, and
    # sending it again would queue the job twice (kombu then also stops batching).
}
# Reconnect for as long as it takes (Celery's default gives up after 100 attempts, about
# 50 minutes, and the worker exits): the outage decides, not a counter.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# No result backend (job records are the outcome): nothing else in Redis to lose.
# Days a finished job's record, and a report with its file, are kept (`tasks.purge_jobs`).
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 30)
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 30)

# E-mail: EMAIL_URL names the transport (`smtp://user:pass@host:587?tls=1`, `?ssl=1` for
# implicit TLS; the console by default); EMAIL_BACKEND, if set, overrides its backend.
_email = env_email("EMAIL_URL", "console://")
EMAIL_BACKEND = env("EMAIL_BACKEND", _email["EMAIL_BACKEND"])
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# A hung SMTP server must fail the attempt (and retry it), not hold a worker forever.
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Blog <noreply@localhost>")

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe the backends over plain HTTP; a redirect is not an answer.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content Security Policy (django-csp) on every response; it matters on the HTML ones (the
# blog, the admin, the browsable API): scripts and styles only from our own static files.
# Posts may show images from any https: site (blog/rendering.py allows http(s) img src),
# and frames from the embed hosts.
# The Swagger UI view relaxes style-src for its inline styles (config/api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        # Videos embedded in posts, from the allowed hosts only (EMBED_URL_PREFIXES).
        "frame-src": EMBED_ORIGINS,
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# CORS (django-cors-headers) for the frontend's origins, on the API only. Credentials are
# bearer tokens sent explicitly, not cookies, so no Access-Control-Allow-Credentials.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*cors_default_headers, "if-none-match", "if-match", "x-request-id")
CORS_EXPOSE_HEADERS = ["ETag", "X-Request-ID", "Retry-After"]

# Sign-in lockout per username (accounts/lockout.py): LOGIN_FAILURE_LIMIT failures within
# LOGIN_FAILURE_WINDOW seconds lock it for LOGIN_LOCKOUT_SECONDS, doubling for repeated
# lockouts up to LOGIN_LOCKOUT_MAX_SECONDS.
LOGIN_FAILURE_LIMIT = max(1, env_int("LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_WINDOW = max(1, env_int("LOGIN_FAILURE_WINDOW", 15 * 60))
LOGIN_LOCKOUT_SECONDS = max(1, env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60))
LOGIN_LOCKOUT_MAX_SECONDS = max(
    LOGIN_LOCKOUT_SECONDS, env_int("LOGIN_LOCKOUT_MAX_SECONDS", 4 * 60 * 60)
)

# Structured logs (config/observability/logs.py): JSON lines by default, readable lines with DEBUG;
# LOG_FORMAT (json or console) overrides either.
LOG_FORMAT = env("LOG_FORMAT", "console" if DEBUG else "json").lower()
LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", "INFO").upper())
# django-structlog's request_started/request_finished lines. Its request id is replaced by
# ours (config/observability/log_context.py); the client's IP is personal data and is not logged.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = False
