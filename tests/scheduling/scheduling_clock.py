"""The instant the scheduling tests run the digest at."""

from datetime import UTC, datetime

# A Monday, 12:15 UTC; the sample papers count as freshly ingested then (see ``corpus``).
NOW = datetime(2026, 11, 23, 12, 15, tzinfo=UTC)
