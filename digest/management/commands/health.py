import json

from django.core.management.base import BaseCommand, CommandError

from digest.health import CHECKS, health


class Command(BaseCommand):
    help = "What /healthz says, for a container's health check: exit 1 when a part failed."

    def add_arguments(self, parser):
        parser.add_argument("parts", nargs="*", help=f"some of {', '.join(CHECKS)} (default: all)")

    def handle(self, *args, parts, **options):
        unknown = set(parts) - set(CHECKS)
        if unknown:
            raise CommandError(f"unknown parts {sorted(unknown)}; known: {', '.join(CHECKS)}")
        states = health(parts or tuple(CHECKS))
        self.stdout.write(json.dumps(states))
        if not states["ok"]:
            raise CommandError("unhealthy")
