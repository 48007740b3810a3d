"""Settings for fundops, read from the environment.

Safe defaults give the embedded mode (SQLite, local media, in-process-friendly tasks);
production sets DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and friends.
"""
import datetime
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key only ever serves the embedded demo and the test suite. It is public, so with
# DEBUG off `check --deploy` fails on it (fundops/checks.py) and the WSGI/ASGI doors refuse to open.
DEMO_SECRET_KEY = "embedded-demo-key-not-for-production-" + "x" * 20
SECRET_KEY = os.environ.get("SECRET_KEY") or DEMO_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_filters",
    "django_tables2",
    "fundops",
    "applications",
    "reviews",
    "disbursements",
    "grantee_reports",
    "reports",
    "fundsetup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "fundops.middleware.SecondFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fundops.urls"
WSGI_APPLICATION = "fundops.wsgi.application"
ASGI_APPLICATION = "fundops.asgi.application"

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
                "fundops.context_processors.roles",
                "fundops.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if os.environ.get("DATABASE_TEST_NAME"):
    # Lets several test runs share one PostgreSQL server without stepping on each other.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

AUTH_USER_MODEL = "fundops.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve our own stylesheet straight from static/ when collectstatic has not run (embedded mode).
WHITENOISE_USE_FINDERS = True

# Uploads live outside static files and are served only through permission-checked views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Where uploads (attachments, award letters) and generated reports are kept. Local disk (MEDIA_ROOT)
# is the embedded default; with several app servers they must share one store: set
# AWS_STORAGE_BUCKET_NAME (and FUNDOPS_S3_ENDPOINT_URL for any S3-compatible server — SeaweedFS,
# MinIO, Ceph, Garage — plus AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an instance role).
# Files are private: never public-read, always served through the permission-checked views.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("FUNDOPS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("FUNDOPS_S3_PREFIX", ""),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,  # a URL, if one is ever made, is signed and expires
            "querystring_expire": 300,
            "file_overwrite": False,  # two servers saving "report.pdf" never replace each other's file
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fundops <grants@localhost>")
# Seconds before a mail server that does not answer counts as down: the worker records a failed
# attempt and moves on instead of hanging.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))

# Notifications (fundops/notifications/): links in e-mails start with the site's address.
FUNDOPS_SITE_URL = os.environ.get("FUNDOPS_SITE_URL", "http://127.0.0.1:8000")
FUNDOPS_SITE_NAME = os.environ.get("FUNDOPS_SITE_NAME", "fundops")
# The daily digest goes out at this hour, local time (TIME_ZONE).
FUNDOPS_DIGEST_HOUR = int(os.environ.get("FUNDOPS_DIGEST_HOUR", "17"))
# Minutes between attempts while the mail server is down; after the last, the e-mail is marked failed
# (administrators see it in Admin › Notifications and can try again).
FUNDOPS_EMAIL_RETRY_MINUTES = [int(m) for m in env_list("FUNDOPS_EMAIL_RETRY_MINUTES", "1,5,15,60,240")]

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# The publisher prefix used for 360Giving identifiers and for unregistered groups' org ids.
FUNDOPS_PUBLISHER_PREFIX = os.environ.get("FUNDOPS_PUBLISHER_PREFIX", "360G-fundops")
FUNDOPS_ORG_PREFIX = os.environ.get("FUNDOPS_ORG_PREFIX", "XI-FUNDOPS")

# Spreadsheet imports are checked against these before anything is parsed (fundops/data_exchange/files.py):
# a small XLSX can unpack to millions of rows.
FUNDOPS_IMPORT_MAX_BYTES = int(os.environ.get("FUNDOPS_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
FUNDOPS_IMPORT_MAX_ROWS = int(os.environ.get("FUNDOPS_IMPORT_MAX_ROWS", "100000"))
FUNDOPS_IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("FUNDOPS_IMPORT_MAX_UNPACKED_BYTES", str(100 * 1024 * 1024)))
FUNDOPS_IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("FUNDOPS_IMPORT_MAX_COMPRESSION_RATIO", "100"))

# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords, the account is locked
# whatever the address, and the address is locked whatever the account, for LOGIN_COOLOFF_MINUTES.
# Every failure and lockout is kept (admin: Axes); a success clears the account's count.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A guess during the lockout does not push its end further, so the lockout page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "fundops.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "fundops.security.client_ip"
AXES_VERBOSE = False
# Behind a reverse proxy, the client's address is read from this header (e.g. X-Forwarded-For) —
# only when set, since anyone can send the header to a server that is not behind one.
# TRUSTED_PROXY_COUNT: how many proxies of ours append to it (the address is read that far from the right).
TRUSTED_PROXY_IP_HEADER = os.environ.get("TRUSTED_PROXY_IP_HEADER", "")
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))

# `load_demo` creates users whose passwords and second-factor secret are public: it runs only where
# DEBUG is on (make run) or this is set (the test suite sets it in tests/conftest.py).
DEMO_DATA_ALLOWED = DEBUG

# Second factor (django-otp): TOTP apps and one-time recovery codes.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "fundops")
# Nobody, administrators included, can read another person's authenticator secret back: copying it
# would let them act in a finance officer's name in the audit trail.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff (program officers, finance officers, administrators) sign in again after a working day.
STAFF_SESSION_SECONDS = int(os.environ.get("STAFF_SESSION_HOURS", "9")) * 3600

# Content-Security-Policy (django-csp 4): no inline script, no inline style, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Trust X-Forwarded-Proto only when a TLS proxy in front of us sets it (SECURE_PROXY_SSL_HEADER=1).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
