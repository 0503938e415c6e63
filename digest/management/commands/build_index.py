from django.core.management.base import BaseCommand

from digest.services import index_build


class Command(BaseCommand):
    help = (
        "Build the paper index now, in this process (what the task after each ingest does), "
        "e.g. once after upgrading a database that has papers but no index yet."
    )

    def handle(self, *args, **options):
        version = index_build()
        self.stdout.write(f"paper index {version} is current" if version else "no papers to index")
