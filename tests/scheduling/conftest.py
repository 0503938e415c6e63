import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber
from benchmarks.processes import SmtpSink


@pytest.fixture
def corpus(db, sample_corpus_path, settings, build_index):
    call_command("ingest_papers", str(sample_corpus_path))
    build_index()
    settings.DIGEST_CANDIDATE_DAYS = 10_000  # the sample papers stay candidates at NOW


@pytest.fixture
def make_subscriber(db):
    def make(email, interests=("speech recognition", "diffusion"), **fields):
        fields = {"status": Subscriber.Status.ACTIVE, "confirmed_at": timezone.now(), **fields}
        subscriber = Subscriber.objects.create(email=email, **fields)
        Interest.objects.bulk_create(Interest(subscriber=subscriber, phrase=p) for p in interests)
        return subscriber

    return make


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on loopback; the app sends to it over plain SMTP."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()
