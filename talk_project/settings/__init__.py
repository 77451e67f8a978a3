"""Settings of the deployable Talk site, read from the environment (django-environ).

This is the only module that reads the environment. Every variable is optional: with none
set, the site runs on the embedded default (SQLite in ``TALK_DATA_DIR``, the in-memory
channel layer, an in-process job worker on a durable SQLite queue).

Environment variables (defaults in brackets):
    TALK_DATA_DIR [./data]: where SQLite, the job queue and the generated secret key live.
    DATABASE_URL [sqlite:///<data>/talk.sqlite3]: any URL django-environ understands.
    REDIS_URL [unset]: enables the Redis cache, channel layer and Celery broker.
    CELERY_BROKER_URL [REDIS_URL, else sqla+sqlite:///<data>/jobs.sqlite3].
    CELERY_VISIBILITY_TIMEOUT [3600]: seconds before Redis redelivers an unacked job.
    SECRET_KEY [generated once into <data>/secret_key].
    DEBUG [false]; ALLOWED_HOSTS [127.0.0.1,localhost,[::1]]; CSRF_TRUSTED_ORIGINS [].
    TALK_LAZY_STORY_CREATION [true]; TALK_EDIT_WINDOW_SECONDS [30];
    TALK_MAX_COMMENT_CHARS [5000]; TALK_REALTIME_ENABLED [true].
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("TALK_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, else one generated once per data dir."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
NODE_ID = env.str("NODE_ID", default="")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "graphene_django",
    "channels",
    "comments",
    "moderation",
    "realtime",
    "tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "talk_project.urls"
ASGI_APPLICATION = "talk_project.asgi.application"
WSGI_APPLICATION = None

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'talk.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers (Django 5.1+).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "talk",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 caps async pools at 100 connections unless told otherwise.
                "hosts": [{"address": REDIS_URL, "max_connections": 1000}],
                "prefix": "talk",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 90 * 24 * 3600  # Coral's default session duration: 90 days
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The stream runs in an iframe: when the newsroom's pages are on another site than Talk,
# browsers only send its cookies with SameSite=None, which requires Secure (HTTPS).
SESSION_COOKIE_SAMESITE = env.str("SESSION_COOKIE_SAMESITE", default="Lax")
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
LOGIN_URL = "/admin/login/"

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
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders when nothing was collected (tests, dev).
WHITENOISE_USE_FINDERS = env.bool("TALK_STATIC_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

GRAPHENE = {"SCHEMA": "talk_project.schema.schema", "ATOMIC_MUTATIONS": False}

# Celery (DESIGN.md §7, docs/jobs.md): late acks, redelivery on worker loss, prefetch 1.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"sqla+sqlite:///{DATA_DIR / 'jobs.sqlite3'}",
)
if CELERY_BROKER_URL.startswith(("sqla+sqlite:", "sqlite:")):
    # The durable embedded queue: kombu's SQLAlchemy transport, fixed so that jobs of a
    # killed process run again (tasks/broker.py). kombu takes a transport named in the URL
    # only from its own aliases, hence the plain sqlite:// URL plus the transport setting.
    CELERY_BROKER_URL = CELERY_BROKER_URL.removeprefix("sqla+")
    CELERY_BROKER_TRANSPORT = "tasks.broker:Transport"
CELERY_TASK_ACKS_LATE = True  # ack after the task returns: a killed worker's job is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed pool child re-queues rather than acks
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # hold no more unacked messages than can run
# The longest task is the job probe (hold <= 60 s); the scraper and a webhook delivery stop
# by their own deadlines (TALK["SCRAPE_TIMEOUT_SECONDS"], 10 s); auto-close is batched
# updates. The longest countdown is a retry backoff (retry_backoff_max = 600 s). Redis
# redelivers anything unacked for longer than the visibility timeout, so it must exceed
# both; the hard time limit (prefork workers; the in-process thread pool has none) bounds
# a stuck task well below it.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_TIME_LIMIT = 300
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sentinel://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Scheduled jobs: `celery -A talk_project beat`, or the scheduler thread of `serve --jobs`.
CELERY_BEAT_SCHEDULE = {
    "talk-auto-close-stories": {
        "task": "talk.tasks.auto_close_stories",
        "schedule": 300.0,  # seconds; the task is a no-op while TALK AUTO_CLOSE_AFTER_DAYS is off
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

TALK = {
    "LAZY_STORY_CREATION": env.bool("TALK_LAZY_STORY_CREATION", default=True),
    "EDIT_WINDOW_SECONDS": env.int("TALK_EDIT_WINDOW_SECONDS", default=30),
    "MAX_COMMENT_CHARS": env.int("TALK_MAX_COMMENT_CHARS", default=5000),
    "REALTIME_ENABLED": env.bool("TALK_REALTIME_ENABLED", default=True),
    "RATE_LIMITS_ENABLED": env.bool("TALK_RATE_LIMITS_ENABLED", default=True),
    "RATE_LIMIT_STORAGE_URL": REDIS_URL or "memory://",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "node": {"format": f"%(asctime)s {NODE_ID or '-'} %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "node"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
