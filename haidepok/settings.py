"""Hai Depok settings: one module, configured from environment variables.

With nothing set, the site runs embedded: SQLite in the project folder, Celery tasks in-process,
email printed to the console, DEBUG on. The README lists every variable.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from haidepok.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin with the staff dashboard on its index (haidepok/admin_site.py).
    "haidepok.admin_site.HaiDepokAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "haidepok",
    "accounts",
    "communities",
    "facilities",
    "bookings",
    "payments",
    "documents",
    "permits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "haidepok.middleware.PreferredLanguageMiddleware",
    # Records who changed a facility or community (in the admin and in the workspace).
    "simple_history.middleware.HistoryRequestMiddleware",
]

# The benchmark (bench/run.py, `make bench`) adds a minimal baseline page (/_bench/baseline/)
# and reports each response's database queries in an X-Bench-Queries header. Never in production.
BENCHMARK = env_bool("HAIDEPOK_BENCHMARK_BASELINE", default=False)
if BENCHMARK:
    MIDDLEWARE.insert(0, "haidepok.views.BenchQueryCountMiddleware")

ROOT_URLCONF = "haidepok.urls"
WSGI_APPLICATION = "haidepok.wsgi.application"
ASGI_APPLICATION = "haidepok.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # SITE_URL for the sharing tags' absolute links (haidepok/pwa.py).
                "haidepok.pwa.site_url",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so the overlap check and the insert of a
        # booking can never interleave with another writer's (SQLite has no exclusion constraint).
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;",
    }
    # (Tests use a SQLite file of their own: tests/conftest.py, django_db_modify_db_settings.)
else:
    # Two test runs at once against one server (two checkouts, or two people on one machine)
    # each get their own test database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirming in the browser that signed up signs in and resumes where the resident was
# going (the booking form of the slot they picked).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Hai Depok] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"

# --- Admin -----------------------------------------------------------------------------------

# The history of a facility or community is for reading: going back to an old version from
# the admin would skip the services (a community "re-verified" without a decision or a mail).
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- JSON API (/api/v1/) ----------------------------------------------------------------------

REST_FRAMEWORK = {
    # The token class comes first: DRF answers an anonymous request with the first class's
    # WWW-Authenticate challenge, so "who are you?" is a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, refusing bodies nested deeper than ours ever are (a RecursionError otherwise).
    "DEFAULT_PARSER_CLASSES": ["bookings.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "bookings.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hai Depok API",
    "DESCRIPTION": (
        "Facilities, availability and your own bookings at the public facilities of the City "
        "of Depok. Times are ISO 8601 with their offset (+07:00, WIB); a time sent without one "
        "means WIB. Authenticate with a browser session (with CSRF) or a personal API token "
        "(`Authorization: Bearer <key>`) created on your profile page."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local")
if MEDIA_STORAGE == "local":
    _media_backend = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    # S3-compatible object storage through django-storages (`pip install .[s3]`).
    _media_backend = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "custom_domain": env_str("S3_CUSTOM_DOMAIN") or None,
            "file_overwrite": False,
        },
    }
    if not _media_backend["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("S3_BUCKET must be set when MEDIA_STORAGE is s3")
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE: expected 'local' or 's3', got {MEDIA_STORAGE!r}")

# Supporting documents are private: never under MEDIA_URL, served only by a view that checks
# who asks (documents/). Locally a folder of their own; on S3 the same bucket under private/,
# whose objects are private and reached by short-lived signed URLs.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")))
if MEDIA_STORAGE == "local":
    _private_backend = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    }
else:
    _private_backend = {
        **_media_backend,
        "OPTIONS": {
            **_media_backend["OPTIONS"],
            "location": "private",
            "default_acl": "private",
            "querystring_auth": True,
            "custom_domain": None,
        },
    }

STORAGES = {
    "default": _media_backend,
    "private": _private_backend,
    "staticfiles": {
        # Hashed, compressed files with far-future cache headers once collected for production;
        # the plain backend in development so that no collectstatic is needed.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Links in mails ---------------------------------------------------------------------------

# Mails are sent by workers, outside any request: absolute links are built from this.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Email ----------------------------------------------------------------------------------

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hai Depok <noreply@haidepok.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Redis, cache and Celery ----------------------------------------------------------------

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "haidepok.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "haidepok"),
            # A Redis that hangs must not hang pages: they are rendered without the cache.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: tasks run in-process, at the moment they are queued (the embedded default).
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Rendered parts of the public pages, kept in CACHES (haidepok/page_cache.py). It needs a cache
# that every process shares: without Redis each process would keep pages that another one's
# change made stale. PAGE_CACHE=false also measures the pages without it (bench/run.py).
PAGE_CACHE = env_bool("PAGE_CACHE", bool(REDIS_URL))
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks are queued after a booking's transaction commits, inside the resident's request. When
# the broker is down that must fail at once, not after retries: the outbox row stays pending
# and beat's sweep queues it later. (Workers reconnect by their own, separate settings.)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 2}
# Several sites (or test runs) may share one Redis: each consumes its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")

# --- Notifications (bookings.notifications) ---------------------------------------------------

# Attempts to send one notification before it is marked failed (for staff to resend), and the
# wait after the first failed attempt, doubled after each further one (60 s: 1, 2, 4, 8 min).
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_DELAY = env_int("NOTIFICATION_RETRY_DELAY", 60)

# --- WhatsApp (bookings.whatsapp, the "whatsapp" channel of bookings.channels) ----------------

# The WhatsApp Business Cloud API: messages are POSTed to
# {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages with WHATSAPP_TOKEN. Without a token
# the channel is off: no resident can opt in and no WhatsApp row is written.
WHATSAPP_API_URL = env_str("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0").rstrip("/")
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID")
# Seconds to wait for the API before the attempt counts as failed (and is retried).
WHATSAPP_TIMEOUT = env_int("WHATSAPP_TIMEOUT", 10)
if WHATSAPP_TOKEN and not WHATSAPP_PHONE_NUMBER_ID:
    raise ImproperlyConfigured("WHATSAPP_PHONE_NUMBER_ID must be set with WHATSAPP_TOKEN")

# --- Retribusi and payments (payments) --------------------------------------------------------

# An approved booking with a price is paid within this many hours (and before it starts), or
# it is released.
PAYMENT_DUE_HOURS = env_int("PAYMENT_DUE_HOURS", 48)
# Which gateway makes QRIS codes and virtual accounts: "simulator" (runs here, no money moves:
# the demo and the tests; `check --deploy` warns about it) or "midtrans" (MIDTRANS_* below).
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "simulator")
if PAYMENT_GATEWAY not in ("simulator", "midtrans"):
    raise ImproperlyConfigured("PAYMENT_GATEWAY must be simulator or midtrans")
# The simulator signs its notifications with this (derived from SECRET_KEY unless set).
PAYMENT_SIMULATOR_SECRET = env_str("PAYMENT_SIMULATOR_SECRET") or f"simulator:{SECRET_KEY}"
MIDTRANS_SERVER_KEY = env_str("MIDTRANS_SERVER_KEY")
MIDTRANS_API_URL = env_str("MIDTRANS_API_URL", "https://api.sandbox.midtrans.com").rstrip("/")
MIDTRANS_VA_BANK = env_str("MIDTRANS_VA_BANK", "bni")
if PAYMENT_GATEWAY == "midtrans" and not MIDTRANS_SERVER_KEY:
    raise ImproperlyConfigured("MIDTRANS_SERVER_KEY must be set when PAYMENT_GATEWAY=midtrans")

# --- The permit and the service standard (documents, permits, bookings.service_standard) ----

# A request waiting for a decision is decided within this many working days (weekends,
# Indonesian public holidays and city-wide closures do not count); at half the time its
# deciders are reminded, when it passes the members of this group are told.
SERVICE_STANDARD_WORKING_DAYS = env_int("SERVICE_STANDARD_WORKING_DAYS", 2)
SERVICE_STANDARD_SUPERVISORS_GROUP = env_str(
    "SERVICE_STANDARD_SUPERVISORS_GROUP", "Pengawas layanan"
)
# A booking not checked in this many minutes after its start may be marked a no-show.
CHECK_IN_GRACE_MINUTES = env_int("CHECK_IN_GRACE_MINUTES", 30)
# The limits of one supporting document (PDF, JPEG or PNG).
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)
DOCUMENT_MAX_PAGES = env_int("DOCUMENT_MAX_PAGES", 20)

# --- Security (DEBUG off) ---------------------------------------------------------------------

if not DEBUG:
    # TLS ends at the proxy in front of gunicorn; it tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint tells each step of every permit letter at INFO, and fontTools each font
        # it subsets: only their warnings belong in the site's log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
