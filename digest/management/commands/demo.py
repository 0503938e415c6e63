import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

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


class Command(BaseCommand):
    help = "Load the sample corpus and demo subscribers, run today's digest, print what was sent."

    def handle(self, *args, **options):
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
        call_command("send_digests", date=edition)
        self._print_table(edition)

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
                    items[0].paper.title[:48] if items else "-",
                    os.path.relpath(files[-1]) if files and items else "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )
        self.stdout.write(f"\nEdition {edition}. Emails are .eml files in {outbox}/")
