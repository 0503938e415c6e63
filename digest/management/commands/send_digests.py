from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from digest.models import DigestRun
from digest.tasks import send_due_digests

LATEST_OFFSET = timedelta(hours=14)
"""The time zone furthest ahead (Pacific/Kiritimati, UTC+14)."""


class Command(BaseCommand):
    help = (
        "Rank and send the digests that are due. Without --date: those whose local send hour "
        "has come (what the hourly beat tick does). With --date: every active subscriber due "
        "on that date. Digests already sent for an edition are never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="edition date, YYYY-MM-DD")

    def handle(self, *args, date=None, **options):
        latest = (timezone.now() + LATEST_OFFSET).date()
        if date and date > latest:
            # A digest for a later edition counts as done for every date before it.
            raise CommandError(
                f"{date} is no reader's date yet (the latest anywhere is {latest}): digests "
                "sent for it would hold back their digests until then"
            )
        run_id = send_due_digests.apply(args=[date.isoformat() if date else None]).get()
        run = DigestRun.objects.get(id=run_id)
        if run.finished_at is None and run.due:
            self.stdout.write(f"run {run.id}: {run.due} subscribers due, batches queued")
            return
        self.stdout.write(
            f"run {run.id}: due={run.due} sent={run.sent} skipped={run.skipped} "
            f"failed={run.failed} interrupted={run.interrupted}"
        )
        if run.failed:
            raise CommandError(f"{run.failed} digests failed; see Digest.error in admin")
