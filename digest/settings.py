"""Settings for the paper digest service.

Everything comes from environment variables (12-factor) with embedded defaults that
need no server at all: SQLite in ``var/``, Celery tasks run in-process, and emails
written as ``.eml`` files to ``var/outbox/``. Production sets ``APP_ENV=production``
plus ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and an anymail ``EMAIL_BACKEND``.
"""

import os
import re
import secrets
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite database, outbox, beat schedule

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")


def _number(name: str, default: int | float, *, least: int | float) -> int | float:
    """The number in ``name`` (an int, or a float when ``default`` is one), refused at start
    when it is not one or is below ``least``: a zero batch size, a negative timeout or
    "30s" (which django-environ's own float parsing reads as 30) fails here, loudly, not
    at the first tick."""
    raw = env.str(name, default="").strip()
    try:
        value = type(default)(raw) if raw else default
    except ValueError:
        kind = "a number" if isinstance(default, float) else "a whole number"
        raise environ.ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}") from None
    if value < least:
        raise environ.ImproperlyConfigured(f"{name} must be {least} or more, not {value}")
    return value


def _rate(name: str, default: str) -> str:
    """The django-ratelimit rate in ``name`` ("20/h", "5/10m"), refused at start when it is
    not one: django-ratelimit would fail on every request it limits."""
    rate = env.str(name, default=default).strip()
    if not re.fullmatch(r"[0-9]+/(?:[1-9][0-9]*)?[smhd]", rate):
        raise environ.ImproperlyConfigured(
            f"{name} must be a rate such as 20/h or 5/10m (per s, m, h or d), not {rate!r}"
        )
    return rate


APP_ENV = env.str("APP_ENV", default="development")
if APP_ENV not in ("development", "production"):
    raise environ.ImproperlyConfigured(
        f"APP_ENV must be development or production, not {APP_ENV!r}"
    )
PRODUCTION = APP_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _development_key(path: Path) -> str:
    """A random key made on first start and kept in ``var/`` (readable by its owner only), so
    that sessions and links survive restarts and no key printed in the source signs them."""
    if path.exists():
        return path.read_text().strip()
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(secrets.token_urlsafe(50))
    try:
        os.link(draft, path)  # atomic: of two processes starting at once, one key wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


# Keys that are public (an earlier development default) or made by startproject.
_KNOWN_KEYS = {"dev-insecure-key-not-for-production"}
SECRET_KEY = env.str("SECRET_KEY", default="")
if PRODUCTION and (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
    or any(known in SECRET_KEY for known in _KNOWN_KEYS)
):
    raise environ.ImproperlyConfigured(
        "SECRET_KEY must be a long random string when APP_ENV=production (50 characters or "
        "more, not a known one); make one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if not SECRET_KEY:
    SECRET_KEY = _development_key(VAR_DIR / "secret_key")

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
    "csp",
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
    "csp.middleware.CSPMiddleware",
]

# Content-Security-Policy on every page (django-csp): scripts and styles only from our own
# static files, no inline script or event handler, no plugins, no framing, forms post here.
# A link to a paper is http(s) already (digest.sources.base.is_web_url); this is the net
# under that.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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

SILENCED_SYSTEM_CHECKS = []
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Two Redis databases: the broker (REDIS_URL) and the cache (rate limits, previews,
    # beat's last tick), so that clearing the cache never touches the queue. django-redis
    # keeps its client; Django's own Redis backend builds one per call.
    def _redis_database(number: int) -> str:
        return urlsplit(REDIS_URL)._replace(path=f"/{number}").geturl()

    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=_redis_database(1)),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # django-ratelimit wants a shared cache; one process with local memory is fine for the demo.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

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
    # TLS ends at a reverse proxy in front of gunicorn, which tells Django the scheme in this
    # header (set it, and strip it from clients); empty = no proxy, trust no header.
    _proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain http
    SECURE_HSTS_SECONDS = _number("SECURE_HSTS_SECONDS", 365 * 24 * 3600, least=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list is a commitment for the domain: the operator's call.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
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
EMAIL_TIMEOUT = _number("EMAIL_TIMEOUT", 30, least=1)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and value
}
# An ESP's tracking webhook (digest.webhooks) can stop anyone's mail: it is served only with
# this basic-auth secret, and production with an anymail ESP refuses to start without it.
if (
    PRODUCTION
    and EMAIL_BACKEND.startswith("anymail.backends.")
    and not ANYMAIL.get("WEBHOOK_SECRET")
):
    raise environ.ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET (user:password) must be set when APP_ENV=production and "
        "EMAIL_BACKEND is an anymail ESP: it protects /anymail/<esp>/tracking/"
    )
_NOT_DELIVERING = {
    "digest.mail.OutboxEmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if PRODUCTION:
    # Each of these starts a site that looks healthy and is not: debug pages to strangers,
    # any Host header believed, emailed links to plain http or localhost, digests written
    # to a file and counted sent, tasks run inside web requests, a webhook no ESP can call.
    _unsafe = [
        (DEBUG, "DEBUG must be off"),
        (
            "*" in ALLOWED_HOSTS or "ALLOWED_HOSTS" not in env.ENVIRON,
            "ALLOWED_HOSTS must name the site's hosts (not *)",
        ),
        (
            not SITE_URL.startswith("https://") and SECURE_SSL_REDIRECT,
            "SITE_URL must be the site's https:// address (or SECURE_SSL_REDIRECT=false)",
        ),
        (
            EMAIL_BACKEND in _NOT_DELIVERING,
            "EMAIL_BACKEND must deliver mail (an anymail ESP, or EMAIL_URL=smtp://...), "
            f"not {EMAIL_BACKEND}",
        ),
        (not REDIS_URL, "REDIS_URL must point at Redis (the broker and the cache)"),
        (
            ":" not in ANYMAIL.get("WEBHOOK_SECRET", ":"),
            "ANYMAIL_WEBHOOK_SECRET must be user:password (basic auth always holds a colon)",
        ),
    ]
    _refused = [message for unsafe, message in _unsafe if unsafe]
    if _refused:
        raise environ.ImproperlyConfigured("; ".join(_refused) + " when APP_ENV=production")
if "REQUESTS_TIMEOUT" in ANYMAIL:  # seconds an ESP's API may take to answer (default 30)
    ANYMAIL["REQUESTS_TIMEOUT"] = _number("ANYMAIL_REQUESTS_TIMEOUT", 30.0, least=1)
# Account mail (confirmation, sign-in) and digests come from different addresses.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <accounts@localhost>")
DIGEST_FROM_EMAIL = env.str("DIGEST_FROM_EMAIL", default=f"{SITE_NAME} <digest@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DIGEST_LIST_ID = env.str("DIGEST_LIST_ID", default="Daily paper digest <digest.localhost>")

# --- Subscriber links and abuse limits --------------------------------------------------
ACCOUNT_CONFIRM_MAX_AGE = _number("ACCOUNT_CONFIRM_MAX_AGE", 3 * 24 * 3600, least=1)
# Sign-in links work once, for this long.
ACCOUNT_SIGNIN_MAX_AGE = _number("ACCOUNT_SIGNIN_MAX_AGE", 7 * 24 * 3600, least=1)
# The settings link in every digest opens the account settings (not export or delete) as
# often as wanted for this long: four weeks, so a weekly reader's last digests all work.
ACCOUNT_SETTINGS_LINK_MAX_AGE = _number("ACCOUNT_SETTINGS_LINK_MAX_AGE", 28 * 24 * 3600, least=1)
# Account mail no worker has claimed this many seconds after its next attempt was due is
# queued again (the broker may have been down when the request committed, or the provider
# said "not now" through every retry); after a day it is dropped.
ACCOUNT_MAIL_QUEUE_AGAIN_AFTER = _number("ACCOUNT_MAIL_QUEUE_AGAIN_AFTER", 120, least=0)
# Account mail the provider did not take is tried again on the digests' backoff, but at
# most this many seconds apart: a reader waits for a sign-in link, so once an outage ends
# it arrives within minutes (on the digests' schedule the sixth retry waits up to 32 min).
ACCOUNT_MAIL_RETRY_BACKOFF_MAX = _number("ACCOUNT_MAIL_RETRY_BACKOFF_MAX", 300, least=0)
ACCOUNT_MAIL_KEPT = 24 * 3600
# Subscribe and sign-in requests, per client IP and per email address (django-ratelimit).
ACCOUNT_RATE_PER_IP = _rate("ACCOUNT_RATE_PER_IP", "20/h")
ACCOUNT_RATE_PER_EMAIL = _rate("ACCOUNT_RATE_PER_EMAIL", "5/h")
# Interest suggestions while typing, per client IP: the browser asks at most every 250 ms
# of a pause in typing, so 60 a minute is a fast typist; the answers come from a cached table.
INTEREST_SUGGEST_RATE = _rate("INTEREST_SUGGEST_RATE", "60/m")
# Archive searches, per client IP: a search of generic words costs up to 0.5 s of CPU at
# 150,000 papers. A search whose ranking is kept (its further pages, the same search again
# within SEARCH_CACHE_SECONDS) costs a cache read and does not count.
SEARCH_RATE_PER_IP = _rate("SEARCH_RATE_PER_IP", "30/m")
# Admin login attempts, per client IP and per user name.
ADMIN_LOGIN_RATE = _rate("ADMIN_LOGIN_RATE", "10/h")

# --- Digest and ranking ----------------------------------------------------------------
DIGEST_BATCH_SIZE = _number("DIGEST_BATCH_SIZE", 500, least=1)
DIGEST_CANDIDATE_DAYS = _number("DIGEST_CANDIDATE_DAYS", 7, least=1)
# A digest covers the papers since the reader's previous one, at most this many days back
# (after a pause or a holiday it catches up with the best of those).
DIGEST_CATCHUP_DAYS = _number("DIGEST_CATCHUP_DAYS", 14, least=1)
# A paper is sent only if it matches this well (see digest.ranking.recommend).
DIGEST_MIN_SCORE = _number("DIGEST_MIN_SCORE", 0.01, least=0)
DIGEST_CLAIM_TIMEOUT = _number("DIGEST_CLAIM_TIMEOUT", 900, least=1)
# A batch with temporary delivery failures is retried after 60s, 120s, 240s... (capped).
DIGEST_RETRY_BACKOFF = _number("DIGEST_RETRY_BACKOFF", 60, least=0)
DIGEST_RETRY_BACKOFF_MAX = _number("DIGEST_RETRY_BACKOFF_MAX", 3600, least=0)
DIGEST_MAX_RETRIES = _number("DIGEST_MAX_RETRIES", 6, least=0)
# Messages a batch has in flight at once, each thread with its own SMTP connection or
# HTTP session. Measured (make bench-run ESP_LATENCY_MS=150 N=10000: Postmark stand-in at
# 150 +- 50 ms, 1% 429, 1% 503, 2 worker processes, 2 cores): 32 -> 166 msg/s, 64 -> 189
# (before rendering ahead); with rendering ahead and cheaper messages, 64 -> 213 msg/s.
# A kill interrupts up to this many digests a process (their outcome is unknown).
DIGEST_SEND_CONCURRENCY = _number("DIGEST_SEND_CONCURRENCY", 64, least=1)
# Messages per second across all workers (a counter in Redis); 0 = no limit.
DIGEST_SEND_RATE = _number("DIGEST_SEND_RATE", 0, least=0)
RANKING_CHUNK_SIZE = _number("RANKING_CHUNK_SIZE", 20000, least=1)
# Threads of the sparse product (sparse_dot_topn); 1 = sequential.
RANKING_THREADS = _number("RANKING_THREADS", 2, least=1)
# Small priors nudging the order (a paper's score is multiplied by 1 + weight * prior,
# each prior 0-1): upvotes where the source gives them, and recency of publication.
# Off by default: on the 30-persona dev set every cross-validation fold chose 0 for both
# (make bench-quality); 0.05 / 0.02 changed nDCG@10 by less than 0.001.
RANKING_POPULARITY_WEIGHT = _number("RANKING_POPULARITY_WEIGHT", 0.0, least=0)
RANKING_RECENCY_WEIGHT = _number("RANKING_RECENCY_WEIGHT", 0.0, least=0)
# How much a near-duplicate of a paper already in the digest is demoted (0 = not at all).
RANKING_DIVERSITY = _number("RANKING_DIVERSITY", 0.5, least=0)
# The shared paper index (digest.index_store): one directory per version, memory-mapped by
# every web and worker process (a shared volume in compose). Its vocabulary and IDF come
# from the papers ingested in the last INDEX_WINDOW_DAYS; older papers leave the index.
INDEX_DIR = Path(env.str("INDEX_DIR", default=str(VAR_DIR / "index")))
INDEX_WINDOW_DAYS = _number("INDEX_WINDOW_DAYS", 365, least=1)
# A batch that finds no index yet (first start) waits this many seconds and tries again.
INDEX_WAIT_SECONDS = _number("INDEX_WAIT_SECONDS", 300, least=0)
# Digests (and their items) older than this many days are deleted by a daily task.
DIGEST_RETENTION_DAYS = _number("DIGEST_RETENTION_DAYS", 365, least=1)
# "More / less like this" links in digests stay valid this many seconds (60 days).
FEEDBACK_LINK_MAX_AGE = _number("FEEDBACK_LINK_MAX_AGE", 60 * 24 * 3600, least=1)

# --- Paper sources -----------------------------------------------------------------------
# Base URLs default to the real services; point them at a mirror or a recording server.
ARXIV_API_URL = env.str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_RSS_URL = env.str("ARXIV_RSS_URL", default="https://rss.arxiv.org/rss/")
DAILY_PAPERS_URL = env.str("DAILY_PAPERS_URL", default="https://huggingface.co/api/daily_papers")
ARXIV_CATEGORIES = env.list("ARXIV_CATEGORIES", default=["cs.LG", "cs.CL", "cs.CV"])
ARXIV_PAGE_SIZE = _number("ARXIV_PAGE_SIZE", 100, least=1)
# arXiv asks for at most one request every 3 seconds.
ARXIV_REQUEST_INTERVAL = _number("ARXIV_REQUEST_INTERVAL", 3.0, least=0)
# What the hourly ingest task runs, in order (see digest.sources.SOURCES).
INGEST_SOURCES = env.list("INGEST_SOURCES", default=["arxiv", "arxiv-rss", "daily-papers"])
# How far back a source's first run (no cursor, no --since) reaches.
INGEST_FIRST_RUN_DAYS = _number("INGEST_FIRST_RUN_DAYS", 2, least=1)
INGEST_TIMEOUT = _number("INGEST_TIMEOUT", 30.0, least=0.1)
# Longest a source's answer may take to arrive whole: a server dripping bytes never trips
# INGEST_TIMEOUT (between reads) and held a worker process for as long as it liked.
INGEST_DOWNLOAD_TIMEOUT = _number("INGEST_DOWNLOAD_TIMEOUT", 300.0, least=0.1)
INGEST_RETRIES = _number("INGEST_RETRIES", 4, least=0)
INGEST_RETRY_BACKOFF = _number("INGEST_RETRY_BACKOFF", 3.0, least=0)
# A source's answer is read up to this size, then refused. The largest expected is the RSS
# feed of the default three categories on a busy day: ~2,000 items of ~2 KB (the recorded
# items are 0.9 KB with 250-character abstracts; real ones average ~1,200) = ~4 MB; an
# arXiv API page of 100 entries is ~0.25 MB. 16 MB leaves 4x headroom.
INGEST_MAX_RESPONSE_BYTES = _number("INGEST_MAX_RESPONSE_BYTES", 16 * 1024 * 1024, least=1)
INGEST_CONTACT_EMAIL = env.str("INGEST_CONTACT_EMAIL", default="digest@localhost")
INGEST_USER_AGENT = env.str(
    "INGEST_USER_AGENT",
    default=f"{SITE_NAME.replace(' ', '')}/0.1 (+{SITE_URL}; mailto:{INGEST_CONTACT_EMAIL})",
)

# --- Celery ------------------------------------------------------------------------------
# Without REDIS_URL tasks run in-process (eager), so the demo needs no server.
# In-process without Redis; "localhost" only so kombu does not warn that no host was given.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task a dead worker took but never acknowledged goes back to the queue after the
# visibility timeout; workers look for such tasks every CELERY_UNACKED_RESTORE_INTERVAL s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _number("CELERY_VISIBILITY_TIMEOUT", 3600, least=1),
    "unacked_restore_interval": _number("CELERY_UNACKED_RESTORE_INTERVAL", 60, least=1),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Beat notes each tick for /healthz (digest.health); it wakes at least every 300 s (Celery's
# longest sleep), so 15 minutes of silence means three missed wake-ups: a stalled beat.
CELERY_BEAT_SCHEDULER = "digest.celery:HeartbeatScheduler"
BEAT_MAX_SILENCE = _number("BEAT_MAX_SILENCE", 15 * 60, least=1)
# /healthz answers from a process's last check for this long (digest.health): a check pings
# the workers; the compose health check polls every 30 s.
HEALTHZ_REUSE_SECONDS = _number("HEALTHZ_REUSE_SECONDS", 10, least=0)
CELERY_BEAT_SCHEDULE = {
    # Ingest first, then rank and send: the digest tick runs a quarter hour later.
    "ingest-papers": {"task": "digest.tasks.ingest_papers", "schedule": crontab(minute=0)},
    "send-due-digests": {"task": "digest.tasks.send_due_digests", "schedule": crontab(minute=15)},
    "prune-digests": {
        "task": "digest.tasks.prune_digests",
        "schedule": crontab(minute=45, hour=3),
    },
    "queue-unsent-account-mail": {
        "task": "accounts.tasks.queue_unsent_account_mail",
        "schedule": crontab(),
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(minute=50, hour=3),
    },
}

# --- Errors ------------------------------------------------------------------------------
# Unhandled errors of web requests and Celery tasks go to Sentry when SENTRY_DSN is set;
# Django mails those of web requests to ADMINS ("Name <address>, address2") when DEBUG is off.
ADMINS = getaddresses(env.list("ADMINS", default=[]))
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=APP_ENV,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # no addresses or interests of readers
    )

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise environ.ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Malformed TeX in a paper is kept as written (digest.sources.base.readable); the
        # parser's complaints about it say nothing an operator can act on.
        "pylatexenc": {"level": "ERROR"},
    },
}
