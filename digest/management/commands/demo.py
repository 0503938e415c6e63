import logging
import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import links
from accounts.models import Interest, Subscriber
from digest.models import Digest

SAMPLE = Path(settings.BASE_DIR) / "data" / "papers.jsonl"

# email -> (interests, excluded)
DEMO_SUBSCRIBERS = {
    "ada@example.org": (["speech recognition", "text-to-speech", "speech translation"], []),
    "grace@example.org": (["text-to-image generation", "diffusion transformers"], ["video"]),
    "alan@example.org": (["robot learning", "embodied AI", "visuomotor policies"], []),
    "emmy@example.org": (["scaling laws", "training stability", "normalization layers"], []),
    "kurt@example.org": (["low-rank adaptation", "parameter-efficient fine-tuning"], ["survey"]),
    "rosalind@example.org": (["protein folding", "molecular dynamics"], []),
}


@contextmanager
def _quiet_logs(*names):
    """Only warnings from these loggers: the run's summary line says what their INFO lines do."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load the sample corpus and demo subscribers, run today's digest, print what was sent."

    def handle(self, *args, **options):
        with _quiet_logs("celery", "digest"):  # the index build it queues runs in-process
            call_command("ingest_papers", str(SAMPLE))
        with transaction.atomic():
            for email, (interests, excluded) in DEMO_SUBSCRIBERS.items():
                subscriber, created = Subscriber.objects.get_or_create(
                    email=email,
                    defaults={"status": Subscriber.Status.ACTIVE, "confirmed_at": timezone.now()},
                )
                if created:
                    Interest.objects.bulk_create(
                        [Interest(subscriber=subscriber, phrase=p) for p in interests]
                        + [
                            Interest(subscriber=subscriber, phrase=p, excluded=True)
                            for p in excluded
                        ]
                    )
        edition = timezone.localdate()
        with _quiet_logs("celery", "digest"):
            call_command("send_digests", date=edition)
        self._print_table(edition)
        self._print_next_steps()

    def _print_next_steps(self):
        reader = Subscriber.objects.get(email="ada@example.org")
        self.stdout.write(
            "\nSee the site:  .venv/bin/python manage.py runserver  then open "
            f"{settings.SITE_URL}/\n"
            f"Sign in as the demo reader {reader.email} (link valid once, "
            f"{settings.ACCOUNT_SIGNIN_MAX_AGE // 86400} days):\n  {links.signin_url(reader)}\n"
            "Or use the sign-in form with any demo address; the link arrives in var/outbox/.\n"
            "Staff admin: .venv/bin/python manage.py createsuperuser, then "
            f"{settings.SITE_URL}/admin/"
        )

    def _print_table(self, edition):
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        rows = [("subscriber", "status", "papers", "top paper", "email file")]
        digests = (
            Digest.objects.filter(edition=edition, subscriber__email__in=DEMO_SUBSCRIBERS)
            .select_related("subscriber")
            .prefetch_related("items__paper")
        )
        for digest in digests.order_by("subscriber__email"):
            items = list(digest.items.all())
            email = digest.subscriber.email
            files = sorted(outbox.glob(f"*-{email}.eml"))
            rows.append(
                (
                    email,
                    digest.status,
                    str(len(items)),
                    items[0].paper.title[:48] if items else f"({digest.skip_reason or '-'})",
                    os.path.relpath(files[-1]) if files and items else "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        self.stdout.write(f"\nEdition {edition}. Emails are .eml files in {outbox}/")
