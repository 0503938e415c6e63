"""Settings for the paper digest service.

Everything comes from environment variables (12-factor) with embedded defaults that
need no server at all: SQLite in ``var/``, Celery tasks run in-process, and emails
written as ``.eml`` files to ``var/outbox/``. Production sets ``APP_ENV=production``
plus ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and an anymail ``EMAIL_BACKEND``.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite database, outbox, beat schedule

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

APP_ENV = env.str("APP_ENV", default="development")
if APP_ENV not in ("development", "production"):
    raise environ.ImproperlyConfigured(
        f"APP_ENV must be development or production, not {APP_ENV!r}"
    )
PRODUCTION = APP_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY", default="" if PRODUCTION else "dev-insecure-key-not-for-production"
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when APP_ENV=production")

SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Paper Digest")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "accounts",
    "digest",
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

ROOT_URLCONF = "digest.urls"
WSGI_APPLICATION = "digest.wsgi.application"

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
                "digest.context_processors.site",
            ],
        },
    },
    {
        # Emails only (``digest.emails``): Jinja2 renders a digest several times faster.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "emails",
        "DIRS": [BASE_DIR / "templates" / "emails"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "digest.jinja2.environment"},
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer instead of failing at once when two processes share the file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # django-redis keeps its client; Django's own Redis backend builds one per call.
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # django-ratelimit wants a shared cache; one process with local memory is fine for the demo.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Email -----------------------------------------------------------------------------
# Default: one .eml file per message in var/outbox/. Any anymail ESP works by setting
# EMAIL_BACKEND (e.g. anymail.backends.postmark.EmailBackend) and ANYMAIL_* keys;
# EMAIL_URL=smtp://user:pass@host:port selects plain SMTP.
EMAIL_OUTBOX_DIR = Path(env.str("EMAIL_OUTBOX_DIR", default=str(VAR_DIR / "outbox")))
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="digest.mail.OutboxEmailBackend")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and value
}
if "REQUESTS_TIMEOUT" in ANYMAIL:  # seconds an ESP's API may take to answer (default 30)
    ANYMAIL["REQUESTS_TIMEOUT"] = float(ANYMAIL["REQUESTS_TIMEOUT"])
# Account mail (confirmation, sign-in) and digests come from different addresses.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <accounts@localhost>")
DIGEST_FROM_EMAIL = env.str("DIGEST_FROM_EMAIL", default=f"{SITE_NAME} <digest@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DIGEST_LIST_ID = env.str("DIGEST_LIST_ID", default="Daily paper digest <digest.localhost>")

# --- Subscriber links and abuse limits --------------------------------------------------
ACCOUNT_CONFIRM_MAX_AGE = env.int("ACCOUNT_CONFIRM_MAX_AGE", default=3 * 24 * 3600)
# Sign-in links (also the account link in every digest) work once, for this long.
ACCOUNT_SIGNIN_MAX_AGE = env.int("ACCOUNT_SIGNIN_MAX_AGE", default=7 * 24 * 3600)
# Subscribe and sign-in requests, per client IP and per email address (django-ratelimit).
ACCOUNT_RATE_PER_IP = env.str("ACCOUNT_RATE_PER_IP", default="20/h")
ACCOUNT_RATE_PER_EMAIL = env.str("ACCOUNT_RATE_PER_EMAIL", default="5/h")

# --- Digest and ranking ----------------------------------------------------------------
DIGEST_BATCH_SIZE = env.int("DIGEST_BATCH_SIZE", default=500)
DIGEST_CANDIDATE_DAYS = env.int("DIGEST_CANDIDATE_DAYS", default=7)
# A paper is sent only if it matches this well (see digest.ranking.recommend).
DIGEST_MIN_SCORE = env.float("DIGEST_MIN_SCORE", default=0.01)
DIGEST_CLAIM_TIMEOUT = env.int("DIGEST_CLAIM_TIMEOUT", default=900)
# A batch with temporary delivery failures is retried after 60s, 120s, 240s... (capped).
DIGEST_RETRY_BACKOFF = env.int("DIGEST_RETRY_BACKOFF", default=60)
DIGEST_RETRY_BACKOFF_MAX = env.int("DIGEST_RETRY_BACKOFF_MAX", default=3600)
DIGEST_MAX_RETRIES = env.int("DIGEST_MAX_RETRIES", default=6)
# Messages a batch has in flight at once, each thread with its own SMTP connection or
# HTTP session. Measured (benchmarks/run.py, 3,000 readers, Postmark stand-in at 150 ± 50
# ms, 2 worker processes, shared machine at load ~7): 8 -> 52 msg/s, 32 -> 94, 64 -> 92.
# Past 32 the cores, not the latency, are the limit, and a kill interrupts up to this many.
DIGEST_SEND_CONCURRENCY = env.int("DIGEST_SEND_CONCURRENCY", default=32)
# Messages per second across all workers (a counter in Redis); 0 = no limit.
DIGEST_SEND_RATE = env.int("DIGEST_SEND_RATE", default=0)
RANKING_CHUNK_SIZE = env.int("RANKING_CHUNK_SIZE", default=20000)
# Threads of the sparse product (sparse_dot_topn); 1 = sequential.
RANKING_THREADS = env.int("RANKING_THREADS", default=2)
# Small priors nudging the order (a paper's score is multiplied by 1 + weight * prior,
# each prior 0-1): upvotes where the source gives them, and recency of publication.
RANKING_POPULARITY_WEIGHT = env.float("RANKING_POPULARITY_WEIGHT", default=0.05)
RANKING_RECENCY_WEIGHT = env.float("RANKING_RECENCY_WEIGHT", default=0.02)
# How much a near-duplicate of a paper already in the digest is demoted (0 = not at all).
RANKING_DIVERSITY = env.float("RANKING_DIVERSITY", default=0.5)
# "More / less like this" links in digests stay valid this many seconds (60 days).
FEEDBACK_LINK_MAX_AGE = env.int("FEEDBACK_LINK_MAX_AGE", default=60 * 24 * 3600)

# --- Paper sources -----------------------------------------------------------------------
# Base URLs default to the real services; point them at a mirror or a recording server.
ARXIV_API_URL = env.str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_RSS_URL = env.str("ARXIV_RSS_URL", default="https://rss.arxiv.org/rss/")
DAILY_PAPERS_URL = env.str("DAILY_PAPERS_URL", default="https://huggingface.co/api/daily_papers")
ARXIV_CATEGORIES = env.list("ARXIV_CATEGORIES", default=["cs.LG", "cs.CL", "cs.CV"])
ARXIV_PAGE_SIZE = env.int("ARXIV_PAGE_SIZE", default=100)
# arXiv asks for at most one request every 3 seconds.
ARXIV_REQUEST_INTERVAL = env.float("ARXIV_REQUEST_INTERVAL", default=3.0)
# What the hourly ingest task runs, in order (see digest.sources.SOURCES).
INGEST_SOURCES = env.list("INGEST_SOURCES", default=["arxiv", "arxiv-rss", "daily-papers"])
# How far back a source's first run (no cursor, no --since) reaches.
INGEST_FIRST_RUN_DAYS = env.int("INGEST_FIRST_RUN_DAYS", default=2)
INGEST_TIMEOUT = env.float("INGEST_TIMEOUT", default=30.0)
INGEST_RETRIES = env.int("INGEST_RETRIES", default=4)
INGEST_RETRY_BACKOFF = env.float("INGEST_RETRY_BACKOFF", default=3.0)
INGEST_CONTACT_EMAIL = env.str("INGEST_CONTACT_EMAIL", default="digest@localhost")
INGEST_USER_AGENT = env.str(
    "INGEST_USER_AGENT",
    default=f"{SITE_NAME.replace(' ', '')}/0.1 (+{SITE_URL}; mailto:{INGEST_CONTACT_EMAIL})",
)

# --- Celery ------------------------------------------------------------------------------
# Without REDIS_URL tasks run in-process (eager), so the demo needs no server.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task a dead worker took but never acknowledged goes back to the queue after the
# visibility timeout; workers look for such tasks every CELERY_UNACKED_RESTORE_INTERVAL s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=60),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Ingest first, then rank and send: the digest tick runs a quarter hour later.
    "ingest-papers": {"task": "digest.tasks.ingest_papers", "schedule": crontab(minute=0)},
    "send-due-digests": {"task": "digest.tasks.send_due_digests", "schedule": crontab(minute=15)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
