import calendar
import functools
import secrets
import unicodedata
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils.timezone import now

from .addresses import email_key

NOT_A_PLACE = frozenset({"localtime", "Factory"})
"""Names in the tz database that are no place's zone: the server's own zone, which changes
with the host, and a placeholder without an offset."""


@functools.cache
def known_timezones() -> tuple[str, ...]:
    """IANA time zone names, sorted (read from disk once; the lookup scans the tz database)."""
    return tuple(sorted(zoneinfo.available_timezones() - NOT_A_PLACE))


def timezone_named(text: str) -> str:
    """The IANA zone ``text`` names: a zone name in any case, or a city ending exactly one zone.

    "berlin" and "Europe/Berlin" give Europe/Berlin, "new york" gives America/New_York;
    ValidationError when no zone or several zones end with that city.
    """
    wanted = "_".join(text.split()).lower()
    zones = known_timezones()
    matches = [z for z in zones if z.lower() == wanted] or [
        z for z in zones if z.lower().rsplit("/", 1)[-1] == wanted
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValidationError(f"“{text}” could be {' or '.join(matches[:4])}: choose one.")
    raise ValidationError(
        f"“{text[:64]}” is not a time zone or a city we know (try Europe/Berlin or UTC)."
    )


def validate_timezone(value):
    if value not in known_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (try Europe/Berlin or UTC).")


INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
"""Control (Cc), format (Cf: zero-width and bidi marks), private-use and surrogate
characters: invisible in a phrase, they would make it look like another and never match
a paper."""


def validate_visible(phrase: str) -> None:
    """Reject a phrase with an invisible or control character, naming it."""
    hidden = [c for c in phrase if unicodedata.category(c) in INVISIBLE_CATEGORIES]
    if hidden:
        shown = "".join(c for c in phrase if c not in hidden)[:40]
        raise ValidationError(
            (f"“{shown}”" if shown.strip() else "An interest")
            + " contains an invisible or control character "
            f"({', '.join(sorted({f'U+{ord(c):04X}' for c in hidden}))}, e.g. a zero-width "
            "space or a text-direction mark). Please type it again without it."
        )


def new_feed_token() -> str:
    """The secret part of a reader's feed URL: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


class SubscriberQuerySet(models.QuerySet):
    def with_email(self, email: str):
        """The subscriber with this address, whatever its spelling (uses the lower(email) index)."""
        return self.annotate(email_lower=Lower("email")).filter(email_lower=email_key(email))


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    send_hour = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(23)], help_text="Local hour the digest goes out."
    )
    frequency = models.CharField(max_length=8, choices=Frequency, default=Frequency.DAILY)
    weekly_day = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(6)],
        help_text="Weekday for weekly digests, 0 = Monday.",
    )
    max_papers = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    created_at = models.DateTimeField(default=now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=200, blank=True)
    feed_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_feed_token,
        editable=False,
        help_text="The secret in the reader's personal feed URL; resetting it retires the old URL.",
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["status", "timezone", "send_hour"])]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip()
        super().save(*args, **kwargs)

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def weekday_name(self) -> str:
        """The day of weekly digests ("Thursday")."""
        return calendar.day_name[self.weekly_day]

    @property
    def schedule(self) -> str:
        """How often the digest comes, in words: "daily" or "weekly, on Thursdays"."""
        return f"weekly, on {self.weekday_name}s" if self.frequency == "weekly" else "daily"

    @property
    def followed_phrases(self) -> list[str]:
        """The phrases of the interests the reader follows, not those kept out, in the
        interests' order (reads ``interests``, prefetched where it matters)."""
        return [i.phrase for i in self.interests.all() if not i.excluded]

    def local_date(self, when=None):
        return (when or now()).astimezone(self.zone).date()


class Interest(models.Model):
    subscriber = models.ForeignKey(Subscriber, models.CASCADE, related_name="interests")
    phrase = models.CharField(max_length=100, validators=[validate_visible])
    weight = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.1), MaxValueValidator(5.0)]
    )
    excluded = models.BooleanField(
        default=False, help_text="Keep papers about this out of the digest."
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["excluded", "-weight", "phrase"]
        constraints = [
            models.UniqueConstraint(
                "subscriber", Lower("phrase"), name="interest_phrase_ci_unique_per_subscriber"
            ),
        ]

    def __str__(self):
        return f"{'-' if self.excluded else ''}{self.phrase} ({self.weight:g})"


class AccountMail(models.Model):
    """Account mail a request asked for, stored in the request's own transaction (an
    outbox): the mail is sent even when the broker did not take the task queued at the
    commit, and once however often it is queued, as a worker claims it with a conditional
    UPDATE (``claimed_at``) before sending (see ``services.account_mail_send``). Mail the
    provider did not take waits for its task's retry at ``next_attempt_at``; the minute's
    sweep queues again only mail whose next attempt is overdue, so an outage is met with one
    chain of retries per mail, not one more for every minute it lasts."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm"
        SIGNIN = "signin"
        EMAIL_CHANGE = "email-change"
        EMAIL_CHANGED = "email-changed"

    kind = models.CharField(max_length=16, choices=Kind)
    subscriber = models.ForeignKey(
        Subscriber, models.CASCADE, null=True, blank=True, related_name="+"
    )
    address = models.EmailField(
        help_text="The address typed to sign in, the new one of a move, or the old one told."
    )
    created_at = models.DateTimeField(default=now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        default=now,
        db_default=Now(),  # rows the release before this field wrote, during a deploy
        db_index=True,
        help_text="When a queued task is due to try it: the request, or the retry of a "
        '"not now" from the provider.',
    )

    def __str__(self):
        return f"{self.kind} mail #{self.id}"
