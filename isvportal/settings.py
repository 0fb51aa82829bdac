"""isvportal settings, read from the environment (SPEC §3). A malformed value fails at start-up.

Every variable is documented in the README's configuration table and in ``.env.example``.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ISVPORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEV_SECRET_KEY = "isvportal-dev-only-secret-key-never-use-in-production"  # noqa: S105

_BOOLEANS = {
    "1": True, "true": True, "yes": True, "on": True,
    "0": False, "false": False, "no": False, "off": False, "": False,
}  # fmt: skip


def env_bool(name: str, default: bool) -> bool:
    """Strict: django-environ reads any unknown word as False, which hides typos."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _BOOLEANS:
        raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")
    return _BOOLEANS[raw]


# Off unless asked for: forgetting a variable in production must not serve debug pages. The
# demo (make demo) and the test suite (tests/settings.py) turn it on explicitly.
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development and the demo)."
    )


def _base_url(name: str, default: str) -> str:
    value = env.str(name, default=default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, got {value!r}.")
    return value


WECOM_API_BASE = _base_url("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
WECOM_OPEN_BASE = _base_url("WECOM_OPEN_BASE", "https://open.work.weixin.qq.com")
WECOM_OAUTH_BASE = _base_url("WECOM_OAUTH_BASE", "https://open.weixin.qq.com")
PUBLIC_BASE_URL = _base_url("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
_public = urlsplit(PUBLIC_BASE_URL)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", _public.hostname or ""]
)
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{_public.scheme}://{_public.netloc}"]
)


def _field_encryption_keys() -> list[str]:
    """Fernet keys for secrets at rest, newest first. Dev derives one from SECRET_KEY;
    production must set its own, independent of SECRET_KEY."""
    keys = env.list("FIELD_ENCRYPTION_KEYS", default=[])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
        digest = hashlib.sha256(b"isvportal field encryption\x00" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS entry {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    return keys


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",  # the console site registers every model
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "isvportal",  # SQLite's checkpoints off the request path (isvportal/sqlite.py)
    "corps",
    "tokens",
    "callbacks",
    "licenses",
    "billing",
    "webhooks",
    "oauth",
    "console",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "isvportal.middleware.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "isvportal.middleware.RefusalPageMiddleware",
]

ROOT_URLCONF = "isvportal.urls"
WSGI_APPLICATION = "isvportal.wsgi.application"

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


# --- database ------------------------------------------------------------------------------


def _database() -> dict[str, object]:
    url = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'isvportal.sqlite3'}")
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with sqlite:// or postgres://, got scheme {scheme!r}."
        )
    config: dict[str, Any] = environ.Env.db_url_config(url)
    options: dict[str, Any] = dict(config.get("OPTIONS") or {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE makes every write transaction take the lock up front, so the web and worker
        # processes of the demo serialize their writes instead of failing mid-transaction.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        # A file, not memory, so the test suite's threads and processes share one database.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-isvportal.sqlite3")}
        # Kept open between requests: opening one (the PRAGMAs, reading the schema, a cold page
        # cache) cost 0.4 ms of CPU per request, more than the callback's INSERT.
        config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    else:
        # A request waits at most this long for a row lock, then answers 503 instead of hanging.
        lock_timeout = env.int("DATABASE_LOCK_TIMEOUT", default=10)
        options.setdefault("options", f"-c lock_timeout={lock_timeout * 1000}")
        # Parameters bound on the server, and psycopg prepares a statement on its fifth run on a
        # connection, so PostgreSQL stops planning it afresh: the member API's token join took
        # 1 ms to plan and 0.1 ms to run. Off behind a transaction-mode PgBouncer.
        if env_bool("DATABASE_SERVER_SIDE_BINDING", default=True):
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 5)
        if env_bool("DATABASE_POOL", default=False):
            pool_size = env.int("DATABASE_POOL_SIZE", default=10)
            options["pool"] = {"min_size": 1, "max_size": pool_size}
        else:
            config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
            config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = options
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- cache and Celery: Redis when REDIS_URL is set, single-machine fallbacks otherwise ---------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or unix:// URL.")

# Two deployments sharing one Redis database must use different prefixes.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="isvportal")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL  # e.g. amqp://…
if CELERY_BROKER_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
        {"visibility_timeout": 3600} if CELERY_BROKER_URL.startswith(("redis", "rediss")) else {}
    )
else:
    # kombu's filesystem transport: a real worker on one machine with no broker server.
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "control_folder": str(VAR_DIR / "celery" / "control"),  # broadcasts; default is the cwd
        "store_processed": False,
    }
# One queue per kind of work, so that a webhook backlog (receivers are slow) or a renewal wave
# never delays callback processing. A worker started without -Q consumes them all; a larger
# deployment runs a worker per queue (-Q callbacks, -Q credentials…): README "Scaling out".
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("callbacks", "credentials", "webhooks", "housekeeping", "celery")
]
CELERY_TASK_DEFAULT_QUEUE = "celery"  # only tasks added without a route land here
CELERY_TASK_ROUTES = {
    "callbacks.tasks.process_event": {"queue": "callbacks"},
    "callbacks.tasks.dispatch_events": {"queue": "callbacks"},
    "tokens.tasks.*": {"queue": "credentials"},
    "webhooks.tasks.purge_old_webhook_messages": {"queue": "housekeeping"},
    "webhooks.tasks.*": {"queue": "webhooks"},
    "callbacks.tasks.*": {"queue": "housekeeping"},  # the sweeper and the purge
    "corps.tasks.*": {"queue": "housekeeping"},
    "licenses.tasks.*": {"queue": "housekeeping"},
    "billing.tasks.*": {"queue": "housekeeping"},
    "oauth.tasks.*": {"queue": "housekeeping"},
}
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING: JSON, secrets masked
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule: every periodic job of the platform, in this one place.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Renew tokens and tickets before they expire, paced to TOKEN_REFRESH_PER_MINUTE.
    "refresh-due-credentials": {
        "task": "tokens.tasks.refresh_due_credentials",
        "schedule": 60.0,
    },
    # WeCom pushes suite_ticket every 10 minutes and a ticket lasts 30: alarm when it stops.
    "flag-stale-suite-tickets": {
        "task": "corps.tasks.flag_stale_suite_tickets",
        "schedule": 300.0,
    },
    # Callbacks stored while the broker was down, or claimed by a worker that died.
    "requeue-stalled-events": {
        "task": "callbacks.tasks.requeue_stalled_events",
        "schedule": 60.0,
    },
    # Webhook retries that came due, and tries lost with a broker or a worker.
    "deliver-due-webhooks": {
        "task": "webhooks.tasks.deliver_due_webhooks",
        "schedule": 30.0,
    },
    # Orders, codes and trials as WeCom has them (events keep them current in between).
    "sync-licenses": {
        "task": "licenses.tasks.sync_all_licenses",
        "schedule": 86400.0,
    },
    # Paid-edition orders of the last two days, in case an order event was missed.
    "sync-app-orders": {
        "task": "billing.tasks.sync_app_orders",
        "schedule": 86400.0,
    },
    # Delete processed callback events after CALLBACK_RETENTION_DAYS.
    "purge-old-events": {
        "task": "callbacks.tasks.purge_old_events",
        "schedule": 3600.0,
    },
    # Delete webhook messages whose deliveries are over after WEBHOOK_RETENTION_DAYS.
    "purge-old-webhook-messages": {
        "task": "webhooks.tasks.purge_old_webhook_messages",
        "schedule": 3600.0,
    },
    # Delete the record of credentials handed out after CREDENTIAL_GRANT_RETENTION_DAYS.
    "purge-old-credential-grants": {
        "task": "oauth.tasks.purge_old_credential_grants",
        "schedule": 3600.0,
    },
}
# Callbacks: how far a callback's timestamp may be from our clock, the largest body accepted,
# and how long processed events are kept.
CALLBACK_TIMESTAMP_TOLERANCE = env.int("CALLBACK_TIMESTAMP_TOLERANCE", default=300)
CALLBACK_MAX_BODY = 64 * 1024
# /healthz runs its checks (database, cache, broker, tickets) at most this often per process;
# 0 runs them on every call. /healthz/live never touches anything.
HEALTHZ_CACHE_SECONDS = env.float("HEALTHZ_CACHE_SECONDS", default=5.0)
CALLBACK_RETENTION_DAYS = env.int("CALLBACK_RETENTION_DAYS", default=30)
CALLBACK_CLAIM_LEASE = env.int("CALLBACK_CLAIM_LEASE", default=300)  # seconds

# Seconds to wait for WeCom: to connect, and between bytes of an answer.
WECOM_CONNECT_TIMEOUT = env.float("WECOM_CONNECT_TIMEOUT", default=3.05)
WECOM_READ_TIMEOUT = env.float("WECOM_READ_TIMEOUT", default=10.0)

# How long a request waits for another process's fetch of the same credential before it
# answers 503 credential_busy (seconds).
CREDENTIAL_WAIT = env.float("CREDENTIAL_WAIT", default=15.0)

# Upstream token calls per minute, well under WeCom's per-IP limit of 20,000 per API.
TOKEN_REFRESH_PER_MINUTE = env.int("TOKEN_REFRESH_PER_MINUTE", default=1000)

# WeCom relay: calls of one API for one corp per minute (WeCom allows 10,000).
RELAY_PER_CORP_API_PER_MINUTE = env.int("RELAY_PER_CORP_API_PER_MINUTE", default=10000)

# Outbound webhooks: (connect, read) seconds per try; at most this many bytes of an answer are
# read; the waits before each retry (seconds; ±20% jitter): 5 s … 10 h, about 37.6 h in all.
WEBHOOK_TIMEOUT = (
    env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.05),
    env.float("WEBHOOK_READ_TIMEOUT", default=10.0),
)
WEBHOOK_RESPONSE_CAP = env.int("WEBHOOK_RESPONSE_CAP", default=65536)
WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000, 36000]
# An endpoint that accepts nothing for this long is disabled (the dashboard says so).
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
# After a secret rotation the old secret signs too, for this long.
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
# Messages whose deliveries are over (delivered or given up) are deleted after this many days;
# a replay reaches back at most this far.
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
# The central credential API records every credential it hands out (CredentialGrant); records
# older than this many days are deleted.
CREDENTIAL_GRANT_RETENTION_DAYS = env.int("CREDENTIAL_GRANT_RETENTION_DAYS", default=90)


# --- auth, i18n, static ----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-us")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # collectstatic fills it in production
WHITENOISE_USE_FINDERS = DEBUG  # development serves the apps' files without collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, cache-busting names in production (after collectstatic); plain in development.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- HTTPS behind a proxy: on by default in production, each switchable ---------------------
# The proxy terminates TLS and says so in X-Forwarded-Proto.
if env_bool("BEHIND_HTTPS_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)

LOGIN_URL = "/oauth/provider-login/"
LOGIN_REDIRECT_URL = "/admin/"  # where a sign-in with no safe ?next= lands

# --- REST API --------------------------------------------------------------------------------

API_TOKEN_TTL = env.int("API_TOKEN_TTL", default=7 * 24 * 3600)  # seconds
# Pages allowed to ask for JS-SDK signatures: hosts (with port, if not the default one).
JSSDK_TRUSTED_DOMAINS = env.list("JSSDK_TRUSTED_DOMAINS", default=[_public.netloc])

# How many reverse proxies of this deployment stand in front of it (each appends to
# X-Forwarded-For); 0 trusts none and uses the connection's address.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth.api.authentication.ServiceKeyAuthentication",
        "oauth.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "oauth.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"sso": env.str("API_SSO_THROTTLE", default="60/min")},
    # Throttles and audit records take the client's address from X-Forwarded-For only as far
    # as the trusted proxies in front of this deployment wrote it; a client's own is ignored.
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "isvportal API",
    "DESCRIPTION": "Sign-in exchange, the signed-in member's tenant, and provider staff views.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Self-hosted Swagger UI: no CDN needed (often unreachable for deployments in China).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "oauth.api.errors.document_unsupported_media_type",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CorpStatusEnum": "corps.models.AuthorizedCorp.Status",
        "RegisterCodeStatusEnum": "corps.models.RegisterCode.Status",
    },
}


# --- logging: one JSON object per line, secrets scrubbed ------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "isvportal.logging.RedactingJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers hand everything to the root handler, so it is all JSON and redacted.
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # The file broker has no host; kombu says so on every connection.
        "kombu.connection": {"level": "ERROR"},
    },
}
