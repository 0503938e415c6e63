from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from digest.models import IngestRun
from digest.services import ingest_source
from digest.sources import SOURCES
from digest.tasks import update_index_after


def _categories(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


class Command(BaseCommand):
    help = (
        "Fetch new papers from the paper sources (what the hourly task does), "
        "from where each source's last good run stopped, or from --since."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            action="append",
            choices=list(SOURCES),
            help="A source to fetch; repeat for several (default: INGEST_SOURCES).",
        )
        parser.add_argument(
            "--categories",
            type=_categories,
            help="Comma-separated arXiv categories (default: ARXIV_CATEGORIES).",
        )
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="Fetch papers from this date (YYYY-MM-DD) on, ignoring the last run's cursor.",
        )

    def handle(self, *args, source, categories, since, **options):
        failed, runs = [], []
        for name in source or settings.INGEST_SOURCES:
            run = self._ingest(name, categories=categories, since=since)
            runs.append(run)
            self.stdout.write(
                f"{name}: {run.status}, {run.seen} papers read, {run.new} new, "
                f"{run.updated} updated, {run.failed} skipped"
            )
            if run.status == IngestRun.Status.FAILED:
                failed.append(f"{name}: {run.error.splitlines()[0]}")
        update_index_after(runs)
        if failed:
            raise CommandError("\n".join(failed))

    def _ingest(self, name: str, *, categories, since) -> IngestRun:
        if self.stdout.isatty():
            with tqdm(desc=name, unit=" papers") as bar:
                return ingest_source(
                    source=name,
                    categories=categories,
                    since=since,
                    on_page=lambda run, page: bar.update(len(page.records)),
                )

        def log_page(run, page):
            self.stdout.write(f"{name}: page of {len(page.records)} papers, {run.seen} so far")

        return ingest_source(source=name, categories=categories, since=since, on_page=log_page)
