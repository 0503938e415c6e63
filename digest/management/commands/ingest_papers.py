from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from digest.models import IngestRun
from digest.services import papers_upsert
from digest.sources import jsonl
from digest.tasks import update_index_after


class Command(BaseCommand):
    help = (
        "Load papers from a JSON-lines file; papers already stored are merged, not added twice. "
        "The paper index is rebuilt afterwards (a Celery task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        try:
            with path.open("rb") as lines:
                records, errors = jsonl.parse_lines(lines)
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e}") from e
        run = IngestRun.objects.create(source=jsonl.SOURCE, params={"path": str(path)})
        try:
            result = papers_upsert(records=records, source=jsonl.SOURCE)
        except DatabaseError as e:
            run.status, run.error, run.finished_at = IngestRun.Status.FAILED, str(e), timezone.now()
            run.save()
            raise CommandError(f"{path}: the database refused the papers, none loaded: {e}") from e
        for number, reason in errors:
            self.stderr.write(f"{path}:{number}: skipped: {reason}")
        run.seen, run.new, run.updated, run.text_changed, run.failed = (
            result.seen,
            result.new,
            result.updated,
            result.text_changed,
            len(errors),
        )
        run.status = IngestRun.Status.FAILED if errors else IngestRun.Status.OK
        run.error = "\n".join(f"line {n}: {reason}" for n, reason in errors)[:10000]
        run.finished_at = timezone.now()
        run.save()
        update_index_after([run])
        self.stdout.write(
            f"{path}: {result.seen} papers read, {result.new} new, {result.updated} updated, "
            f"{len(errors)} bad lines"
        )
        if errors:
            raise CommandError(f"{len(errors)} lines of {path} could not be loaded (see above)")
