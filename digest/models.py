from urllib.parse import urlencode

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Subscriber

from .sources.base import normalize_title


class Paper(models.Model):
    source = models.CharField(max_length=32, help_text="Where the paper was first seen.")
    external_id = models.CharField(
        max_length=64, blank=True, help_text="arXiv id without version, when known."
    )
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    title_key = models.CharField(max_length=500, db_index=True, editable=False)
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    authors_count = models.PositiveIntegerField(null=True, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=32, blank=True)
    published = models.DateField(null=True, blank=True, db_index=True)
    updated = models.DateField(null=True, blank=True)
    abs_url = models.URLField(max_length=300, blank=True)
    pdf_url = models.URLField(max_length=300, blank=True)
    upvotes = models.PositiveIntegerField(null=True, blank=True)
    ingested_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ingested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="paper_external_id_unique",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.title_key = normalize_title(self.title)[:500]
        super().save(*args, **kwargs)

    @cached_property
    def url(self):
        """The abstract page; for a paper known only by its title, an arXiv title search."""
        if self.abs_url:
            return self.abs_url
        if self.external_id:
            return f"https://arxiv.org/abs/{self.external_id}"
        return "https://arxiv.org/search/?" + urlencode(
            {"query": self.title, "searchtype": "title"}
        )


class Digest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed by a worker"
        SENDING = "sending", "Sending, or interrupted: outcome unknown (never resent)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no matching papers)"

    subscriber = models.ForeignKey(Subscriber, models.CASCADE, related_name="digests")
    edition = models.DateField(help_text="The subscriber's local date this digest is for.")
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING, db_index=True)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-edition", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "edition"], name="one_digest_per_edition"
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} {self.edition} ({self.status})"


class DigestItem(models.Model):
    digest = models.ForeignKey(Digest, models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    terms = models.JSONField(
        default=list, help_text="The terms that contributed most to the score."
    )

    class Meta:
        ordering = ["digest", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["digest", "paper"], name="paper_once_per_digest"),
        ]

    def __str__(self):
        return f"#{self.rank} {self.paper}"


class Rating(models.Model):
    """A reader's "more like this" (+1) or "less like this" (-1) on a paper."""

    subscriber = models.ForeignKey(Subscriber, models.CASCADE, related_name="ratings")
    paper = models.ForeignKey(Paper, models.CASCADE, related_name="+")
    value = models.SmallIntegerField(choices=[(1, "More like this"), (-1, "Less like this")])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="one_rating_per_paper"),
        ]

    def __str__(self):
        return f"{self.subscriber} {'+' if self.value > 0 else '-'} {self.paper}"


class IngestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    seen = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    cursor = models.CharField(
        max_length=100, blank=True, help_text="Newest item this run saw; the next run stops there."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class DigestRun(models.Model):
    """One tick of the digest job: how many subscribers were due and what happened to them."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    edition = models.DateField(null=True, blank=True)
    due = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    interrupted = models.PositiveIntegerField(
        default=0,
        help_text="Digests whose delivery outcome is unknown (their worker stopped while "
        "sending, or the provider's answer was lost); never resent.",
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"run {self.started_at:%Y-%m-%d %H:%M}: {self.due} due"
