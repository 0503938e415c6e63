import re
from urllib.parse import urlencode

from django.db import models
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.functional import cached_property

from accounts.models import Subscriber

from .sources.base import (
    CATEGORY_MAX_LENGTH,
    EXTERNAL_ID_MAX_LENGTH,
    URL_MAX_LENGTH,
    arxiv_links,
    is_web_url,
    normalize_title,
)

ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7}")
"""An arXiv identifier without version: new style (2411.01234) or old (hep-th/9901001)."""

AUTHORS_SHOWN = 3
"""Authors named before "et al." in digests and feeds."""


class Paper(models.Model):
    source = models.CharField(max_length=32, help_text="Where the paper was first seen.")
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX_LENGTH,
        blank=True,
        help_text="arXiv id without version, when known.",
    )
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    title_key = models.CharField(max_length=500, db_index=True, editable=False)
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    authors_count = models.PositiveIntegerField(null=True, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=CATEGORY_MAX_LENGTH, blank=True)
    published = models.DateField(null=True, blank=True, db_index=True)
    updated = models.DateField(null=True, blank=True)
    abs_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    pdf_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
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
        self.title_key = self.key_of(self.title)
        super().save(*args, **kwargs)

    @staticmethod
    def key_of(title: str) -> str:
        """The title as ``title_key`` stores it: normalized (see ``normalize_title``)."""
        return normalize_title(title)[:500]

    @cached_property
    def arxiv_id(self) -> str:
        """The arXiv id, when the paper has a well-formed one."""
        return self.external_id if ARXIV_ID.fullmatch(self.external_id) else ""

    @cached_property
    def url(self):
        """The abstract page; for a paper known only by its title, an arXiv title search.

        Always http(s), also for a row stored before sources' links were checked: this goes
        into ``href``s of pages and emails.
        """
        if self.arxiv_id:
            return arxiv_links(self.arxiv_id)[0]
        if is_web_url(self.abs_url):
            return self.abs_url
        return "https://arxiv.org/search/?" + urlencode(
            {"query": self.title, "searchtype": "title"}
        )

    @cached_property
    def pdf(self) -> str:
        """The PDF, when known (always http(s), as ``url``)."""
        if self.arxiv_id:
            return arxiv_links(self.arxiv_id)[1]
        return self.pdf_url if is_web_url(self.pdf_url) else ""

    @cached_property
    def byline(self) -> str:
        """The first ``AUTHORS_SHOWN`` authors, then "et al." when there are more."""
        names = [str(name) for name in self.authors or []]
        total = max(len(names), self.authors_count or 0)
        shown = ", ".join(names[:AUTHORS_SHOWN])
        return f"{shown} et al." if shown and total > AUTHORS_SHOWN else shown

    @cached_property
    def about(self) -> str:
        """The line under an email's title: byline, publication date and arXiv id."""
        published = self.published and dateformat.format(self.published, "j M Y")
        arxiv = self.arxiv_id and f"arXiv:{self.arxiv_id}"
        return " · ".join(part for part in (self.byline, published, arxiv) if part)


class Digest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed by a worker"
        SENDING = "sending", "Sending, or interrupted: outcome unknown (never resent)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no new or matching papers)"

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
    covers_from = models.DateTimeField(
        null=True, blank=True, help_text="Papers added since then were this digest's candidates."
    )
    covers_to = models.DateTimeField(
        null=True, blank=True, help_text="The next digest's candidates are papers added since then."
    )
    skip_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-edition", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "edition"], name="one_digest_per_edition"
            ),
        ]
        # "Already sent" reads a batch's readers' digests since the oldest candidate paper.
        indexes = [models.Index(fields=["subscriber", "created_at"], name="digest_reader_created")]

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
        indexes = [models.Index(fields=["subscriber", "created_at"], name="rating_reader_created")]

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
    text_changed = models.PositiveIntegerField(
        default=0, help_text="New papers and papers whose title or abstract changed."
    )
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
