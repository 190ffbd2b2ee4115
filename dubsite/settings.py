"""Settings, all from the environment (see the README table)."""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

# Models run offline: a missing weight must be a clear error, never a hub download.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DUBSITE_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite database lives here


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [p.strip() for p in os.environ.get(name, default).split(",") if p.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("DUBSITE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DUBSITE_SECRET_KEY must be set unless DEBUG=1")
    SECRET_KEY = "insecure-debug-only-key"  # DEBUG only; never used in production

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# MODELS_DIR is read by the Django-free media layer from the environment too.
MODELS_DIR = Path(os.environ.get("MODELS_DIR", VAR_DIR / "models")).resolve()
os.environ["MODELS_DIR"] = str(MODELS_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "ninja",  # serves the Swagger UI of /api/docs from our static files, not a CDN
    "dubsite",
    "series",
    "voices",
    "review",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dubsite.middleware.RequestIdMiddleware",
]

ROOT_URLCONF = "dubsite.urls"
WSGI_APPLICATION = "dubsite.wsgi.application"

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
                "dubsite.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dubsite.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the q2 worker write concurrently: wait for the lock instead of failing.
    # IMMEDIATE takes the write lock when a transaction begins; a deferred one that reads first
    # and writes later cannot wait for it and fails at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, transaction_mode="IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DUBSITE_MEDIA_ROOT", VAR_DIR / "media")).resolve()
DUBSITE_WORK_DIR = Path(os.environ.get("DUBSITE_WORK_DIR", VAR_DIR / "work")).resolve()
# A job's work folder goes when the job ends; after a failure it stays this long for debugging (0: goes at once).
DUBSITE_KEEP_FAILED_WORK_HOURS = float(os.environ.get("DUBSITE_KEEP_FAILED_WORK_HOURS", "24"))

# Storage: local disk by default; S3 (django-storages) when a bucket is configured.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = True
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: large episodes stream to disk; the limit is enforced by the upload service.
DUBSITE_MAX_UPLOAD_BYTES = int(float(os.environ.get("DUBSITE_MAX_UPLOAD_MB", "4096")) * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# Reference clips per speaker (cloning, voice matching): seconds budget "min,max" and shortest piece used.
DUBSITE_REF_BUDGET = tuple(float(x) for x in os.environ.get("DUBSITE_REF_BUDGET", "6,12").split(",")[:2])
DUBSITE_REF_MIN_SEGMENT = float(os.environ.get("DUBSITE_REF_MIN_SEGMENT", "0.7"))

# Encryption of voice data at rest: comma-separated Fernet keys, newest first (rotation).
DUBSITE_ENCRYPTION_KEYS = env_list("DUBSITE_ENCRYPTION_KEYS")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the job page's JS reads it for API calls
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS by default outside DEBUG: cookies only over TLS, and browsers told to keep to TLS (HSTS,
# sent on HTTPS responses only). A plain-HTTP install sets DUBSITE_SECURE_COOKIES=0 and
# DUBSITE_HSTS_SECONDS=0; `make run` sets DEBUG=1, where all of this is off.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DUBSITE_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DUBSITE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DUBSITE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DUBSITE_HSTS_PRELOAD", False)  # a promise to the browsers' preload list: opt in
# Redirect http:// to https:// here (usually the TLS proxy in front does it).
SECURE_SSL_REDIRECT = env_bool("DUBSITE_SSL_REDIRECT", False)
if env_bool("DUBSITE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself (and drops the client's): otherwise a
    # client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-q2: Redis broker when REDIS_URL is set, else the ORM broker on the default database.
# One job can run for a long time (a 25-minute episode on CPU): timeout < retry, one attempt,
# failures acknowledged; our own Job rows hold job state, not q2's Task table.
Q_TIMEOUT = int(os.environ.get("DUBSITE_JOB_TIMEOUT", str(6 * 3600)))
REDIS_URL = os.environ.get("REDIS_URL", "")
# A running job refreshes its heartbeat this often; one silent for 12 beats counts as lost (0: off).
DUBSITE_HEARTBEAT_SECONDS = float(os.environ.get("DUBSITE_HEARTBEAT_SECONDS", "10"))
Q_CLUSTER = {
    "name": os.environ.get("DUBSITE_QUEUE_NAME", "dubsite"),
    "workers": int(os.environ.get("DUBSITE_WORKERS", "1")),
    "recycle": 50,
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "poll": 0.5,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DUBSITE_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "WARNING"}},
}
