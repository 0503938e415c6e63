"""The signing key and the production security settings, read as a fresh process would."""

import secrets

import pytest

PUBLIC_DEV_KEY = "dev-insecure-key-not-for-production"


def production_env(**overrides) -> dict:
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "digest.example.org",
        "SITE_URL": "https://digest.example.org",
        "ANYMAIL_WEBHOOK_SECRET": "hook:" + secrets.token_urlsafe(20),
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    } | overrides


PRINT_KEY = ("-c", "import digest.settings as s; print(s.SECRET_KEY)")


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "short-but-not-empty-key",
        PUBLIC_DEV_KEY + "-" * 30,
        PUBLIC_DEV_KEY,
        "django-insecure-" + secrets.token_urlsafe(50),
        "a" * 60,
    ],
)
def test_production_refuses_a_short_or_known_key(key, run_python):
    done = run_python(*PRINT_KEY, **production_env(SECRET_KEY=key))

    assert done.returncode != 0
    assert "SECRET_KEY must be a long random string" in done.stderr


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DIGEST_BATCH_SIZE", "0", "DIGEST_BATCH_SIZE must be 1 or more, not 0"),
        ("DIGEST_MAX_RETRIES", "-1", "DIGEST_MAX_RETRIES must be 0 or more, not -1"),
        ("RANKING_THREADS", "1.5", "RANKING_THREADS must be a whole number, not '1.5'"),
        ("INGEST_TIMEOUT", "30s", "INGEST_TIMEOUT must be a number, not '30s'"),
        ("ANYMAIL_REQUESTS_TIMEOUT", "abc", "ANYMAIL_REQUESTS_TIMEOUT must be a number"),
        ("SEARCH_RATE_PER_IP", "bogus", "SEARCH_RATE_PER_IP must be a rate such as 20/h"),
        ("ACCOUNT_RATE_PER_EMAIL", "5 per hour", "ACCOUNT_RATE_PER_EMAIL must be a rate"),
        ("SEARCH_RATE_PER_IP", "5/0m", "SEARCH_RATE_PER_IP must be a rate"),
        ("LOG_LEVEL", "bogus", "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ],
)
def test_a_number_setting_that_cannot_work_is_refused_at_start(name, value, message, run_python):
    done = run_python(*PRINT_KEY, **{name: value})

    assert done.returncode != 0
    assert message in done.stderr


def test_development_without_a_key_makes_a_random_one_and_keeps_it(run_python, tmp_path):
    first = run_python(*PRINT_KEY)
    second = run_python(*PRINT_KEY)
    elsewhere = run_python(*PRINT_KEY, VAR_DIR=str(tmp_path / "other"))

    key = first.stdout.strip()
    assert first.returncode == 0, first.stderr
    assert len(key) >= 50 and PUBLIC_DEV_KEY not in key
    assert second.stdout.strip() == key  # sessions and links survive a restart
    assert elsewhere.stdout.strip() != key
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_the_production_configuration_passes_the_deploy_check(run_python):
    done = run_python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", **production_env()
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


SHOW = "import digest.settings as s, sentry_sdk; print(repr({}))"


def test_the_broker_and_the_cache_are_two_redis_databases(run_python):
    done = run_python(
        "-c",
        SHOW.format("(s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'])"),
        REDIS_URL="redis://redis:6379/0",
    )

    assert done.stdout.strip() == repr(("redis://redis:6379/0", "redis://redis:6379/1")), (
        done.stderr
    )


def test_errors_go_to_sentry_when_a_dsn_is_set_and_to_admins_by_mail(run_python):
    done = run_python(
        "-c",
        SHOW.format("(sorted(sentry_sdk.get_client().integrations), s.ADMINS)"),
        SENTRY_DSN="http://public@127.0.0.1:9/1",
        ADMINS="Ops Team <ops@example.org>,dev@example.org",
    )

    integrations, admins = eval(done.stdout)  # noqa: S307 - our own repr()
    assert {"django", "celery"} <= set(integrations), done.stderr
    assert admins == [("Ops Team", "ops@example.org"), ("", "dev@example.org")]


def test_production_redirects_plain_http_to_https_except_the_health_check(run_python):
    script = (
        "import django; django.setup(); from django.test import Client; c = Client();"
        "print(c.get('/', HTTP_HOST='digest.example.org').headers.get('Location'));"
        "print(c.get('/healthz', HTTP_HOST='digest.example.org', HTTP_X_FORWARDED_PROTO='https')"
        ".headers['Strict-Transport-Security']);"
        "print(c.get('/healthz', HTTP_HOST='127.0.0.1').status_code in (200, 503))"
    )
    # (No Redis answers there: the plain-http health check says so rather than redirect.)
    done = run_python(
        "-c",
        script,
        **production_env(
            REDIS_URL="redis://127.0.0.1:9/0", ALLOWED_HOSTS="digest.example.org,127.0.0.1"
        ),
    )

    assert done.stdout.split() == [
        "https://digest.example.org/",
        "max-age=31536000;",
        "includeSubDomains",
        "True",
    ], done.stderr


@pytest.mark.parametrize(
    "unsafe, message",
    [
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"SITE_URL": "http://digest.example.org"}, "SITE_URL must be the site's https://"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "EMAIL_BACKEND must deliver mail",
        ),
        ({"EMAIL_BACKEND": "digest.mail.OutboxEmailBackend"}, "EMAIL_BACKEND must deliver mail"),
        ({"REDIS_URL": ""}, "REDIS_URL must point at Redis"),
        ({"ANYMAIL_WEBHOOK_SECRET": "abc"}, "ANYMAIL_WEBHOOK_SECRET must be user:password"),
    ],
)
def test_production_refuses_to_start_with_a_setting_that_looks_healthy_and_is_not(
    unsafe, message, run_python
):
    done = run_python(*PRINT_KEY, **production_env(**unsafe))

    assert done.returncode != 0
    assert message in done.stderr and "when APP_ENV=production" in done.stderr


def test_production_names_the_missing_allowed_hosts(run_python):
    env = production_env()
    del env["ALLOWED_HOSTS"]

    done = run_python(*PRINT_KEY, **env)

    assert done.returncode != 0 and "ALLOWED_HOSTS must name" in done.stderr


def test_a_refused_setting_is_named_in_one_line_not_a_traceback(run_python):
    done = run_python("manage.py", "migrate", **production_env(DEBUG="true", REDIS_URL=""))

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Configuration error: DEBUG must be off; REDIS_URL must point at Redis (the broker "
        "and the cache) when APP_ENV=production"
    ]
