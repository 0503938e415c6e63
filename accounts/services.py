"""Writes for subscribers: subscribe, confirm, sign in, interests, delivery, unsubscribe."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from digest.emails import make_message
from digest.mail import MessageNotAccepted, durable_commit, send_message

from . import links, selectors, tasks
from .addresses import mask_email
from .forms import MAX_INTERESTS
from .models import AccountMail, Interest, Subscriber
from .tokens import BadToken, read_email_change_token, read_signin_token


def _send(name: str, subscriber: Subscriber, *, to: str | None = None, **ctx) -> None:
    """Send account mail; MessageNotAccepted when the provider said "not now" (its task
    tries again)."""
    send_message(make_message(name, to or subscriber.email, {"subscriber": subscriber, **ctx}))


def subscriber_send_confirmation(*, subscriber: Subscriber) -> None:
    _send(
        "confirm",
        subscriber,
        confirm_url=links.confirm_url(subscriber),
        already=subscriber.status != Subscriber.Status.PENDING,
        valid_days=settings.ACCOUNT_CONFIRM_MAX_AGE // 86400,
    )


def subscriber_queue_confirmation(*, subscriber: Subscriber) -> None:
    """Send the confirmation email from a worker once the transaction commits."""
    _queue_mail(AccountMail.Kind.CONFIRM, subscriber.email, subscriber=subscriber)


def _queue_mail(kind: str, address: str, *, subscriber: Subscriber | None = None) -> None:
    """Store the mail in the caller's transaction and queue its task once that commits. A
    broker that does not take the task then (down, unreachable) costs the reader nothing:
    the error is logged, the request still answers, and ``account_mail_queue_unsent``
    queues the mail again."""
    mail = AccountMail.objects.create(kind=kind, address=address, subscriber=subscriber)

    def queue_account_mail():  # named: Django's log of a robust callback's error names it
        tasks.send_account_mail.delay(mail.id)

    transaction.on_commit(queue_account_mail, robust=True)


def account_mail_send(*, mail_id: int, retry_in: float = 0) -> None:
    """Send a queued account mail once: a conditional UPDATE claims it first, so a task
    queued twice (at the commit and again, or redelivered) sends nothing the second time.
    A mail the provider did not take (MessageNotAccepted, raised again for the task to
    retry in ``retry_in`` seconds) is released until then; one that may have arrived stays
    claimed, so no link comes twice. The claim is committed durably (``durable_commit``)."""
    with durable_commit():
        claimed = AccountMail.objects.filter(id=mail_id, claimed_at=None).update(
            claimed_at=timezone.now()
        )
    if not claimed:
        return
    mail = AccountMail.objects.select_related("subscriber").filter(id=mail_id).first()
    if mail is None:  # the subscriber deleted their account meanwhile
        return
    try:
        if mail.kind == AccountMail.Kind.SIGNIN:
            subscriber_send_signin(email=mail.address)
        elif mail.kind == AccountMail.Kind.CONFIRM:
            subscriber_send_confirmation(subscriber=mail.subscriber)
        elif mail.kind == AccountMail.Kind.EMAIL_CHANGE:
            subscriber_send_email_change(subscriber=mail.subscriber, email=mail.address)
        else:
            subscriber_send_email_changed(subscriber=mail.subscriber, old_email=mail.address)
    except MessageNotAccepted:
        AccountMail.objects.filter(id=mail_id).update(
            claimed_at=None, next_attempt_at=timezone.now() + timedelta(seconds=retry_in)
        )
        raise


def account_mail_queue_unsent(*, now: datetime) -> int:
    """Queue again the account mail no worker has claimed ``ACCOUNT_MAIL_QUEUE_AGAIN_AFTER``
    seconds after its next attempt was due (its task never reached the broker, or the
    provider said "not now" through every retry), and forget mail older than
    ``ACCOUNT_MAIL_KEPT``. A mail queued again is next due now, so while workers are slow
    to reach it, it is queued again once every ``ACCOUNT_MAIL_QUEUE_AGAIN_AFTER``, not every
    minute. Returns how many were queued."""
    AccountMail.objects.filter(
        created_at__lt=now - timedelta(seconds=settings.ACCOUNT_MAIL_KEPT)
    ).delete()
    unsent = selectors.account_mail_unsent_ids(
        before=now - timedelta(seconds=settings.ACCOUNT_MAIL_QUEUE_AGAIN_AFTER)
    )
    AccountMail.objects.filter(id__in=unsent, claimed_at=None).update(next_attempt_at=now)
    for mail_id in unsent:
        tasks.send_account_mail.delay(mail_id)
    return len(unsent)


def subscriber_subscribe(
    *,
    email: str,
    interests: list[tuple[str, bool]],
    frequency: str = Subscriber.Frequency.DAILY,
    weekly_day: int = 0,
    send_hour: int = 7,
    timezone: str = "UTC",
) -> Subscriber:
    """Sign up ``email`` (double opt-in) and queue the confirmation email.

    A new address gets the given ``(phrase, excluded)`` interests; a still pending one
    keeps those it has and gets the new ones added (up to ``MAX_INTERESTS``), so nobody can
    replace another person's choice by subscribing their address again; a confirmed one
    keeps its own (they are changed on the account page) and gets a link that signs it in
    and re-activates it. The caller tells the visitor the same thing in every case.
    The delivery choices are stored for a new address only.
    """
    with transaction.atomic():
        subscriber, _ = (
            Subscriber.objects.select_for_update()
            .with_email(email)
            .get_or_create(
                defaults={
                    "email": email.strip(),
                    "frequency": frequency,
                    "weekly_day": weekly_day,
                    "send_hour": send_hour,
                    "timezone": timezone,
                }
            )
        )
        if subscriber.status == Subscriber.Status.PENDING:
            have = {p.lower() for p in subscriber.interests.values_list("phrase", flat=True)}
            new = [(p, e) for p, e in interests if p.lower() not in have][
                : MAX_INTERESTS - len(have)
            ]
            interests_add(subscriber=subscriber, interests=new)
    subscriber_queue_confirmation(subscriber=subscriber)
    return subscriber


def _use_once(*, subscriber_id: int, unused: Q, why: Callable[[], object], **changes) -> Subscriber:
    """Use up a single-use link: one conditional UPDATE applies ``changes`` and signs the
    subscriber in (see ``_next_sign_in``) only while ``unused`` holds, so of any number of
    concurrent uses exactly one succeeds; the others get BadToken (``why()`` raises the
    more precise one, as an expired link or a deleted account)."""
    used = Subscriber.objects.filter(unused, id=subscriber_id).update(
        last_login_at=_next_sign_in(), **changes
    )
    if not used:
        why()
        raise BadToken(selectors.ALREADY_USED)
    return Subscriber.objects.get(id=subscriber_id)


def _next_sign_in() -> Greatest:
    """A sign-in time (whole seconds, as nonces read it) later than the subscriber's last,
    so the sign-in links made before it stop working."""
    now = Value(timezone.now().replace(microsecond=0))
    return Greatest(now, Coalesce(F("last_login_at") + timedelta(seconds=1), now))


def _use_link(*, token: str, purpose: str, max_age: int, **changes) -> Subscriber:
    """Use up a confirm or sign-in link: unused while the subscriber's sign-in nonce is
    still the link's (see ``_use_once``)."""
    subscriber_id, nonce = read_signin_token(token, purpose, max_age=max_age)
    if nonce:
        issued = datetime.fromtimestamp(nonce, UTC)
        unused = Q(last_login_at__gte=issued, last_login_at__lt=issued + timedelta(seconds=1))
    else:
        unused = Q(last_login_at__isnull=True)
    why = partial(selectors.subscriber_from_link, token=token, purpose=purpose, max_age=max_age)
    return _use_once(subscriber_id=subscriber_id, unused=unused, why=why, **changes)


def subscriber_confirm(*, token: str) -> Subscriber:
    """Activate the subscriber a confirmation link names and sign them in (once)."""
    return _use_link(
        token=token,
        purpose="confirm",
        max_age=settings.ACCOUNT_CONFIRM_MAX_AGE,
        status=Subscriber.Status.ACTIVE,
        confirmed_at=Coalesce("confirmed_at", Value(timezone.now())),
        status_reason="",
    )


def subscriber_signin(*, token: str) -> Subscriber:
    """The subscriber a sign-in link names; the link cannot be used again."""
    return _use_link(token=token, purpose="signin", max_age=settings.ACCOUNT_SIGNIN_MAX_AGE)


def subscriber_request_signin(*, email: str) -> None:
    """Queue the sign-in email whatever the address: the worker looks it up, so the request
    takes as long for an unknown address as for a known one."""
    _queue_mail(AccountMail.Kind.SIGNIN, email)


def subscriber_send_signin(*, email: str) -> None:
    """Email a sign-in link if the address is known (a confirmation if still pending)."""
    subscriber = Subscriber.objects.with_email(email).first()
    if subscriber is None:
        return
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber_send_confirmation(subscriber=subscriber)
    else:
        _send(
            "signin",
            subscriber,
            signin_url=links.signin_url(subscriber),
            valid_days=settings.ACCOUNT_SIGNIN_MAX_AGE // 86400,
        )


ADDRESS_TAKEN = (
    "That address has a subscription of its own. Sign in with it to use or delete it; "
    "your digests still go to your current address."
)


def subscriber_request_email_change(*, subscriber: Subscriber, email: str) -> None:
    """Queue a link to ``email`` that moves the subscriber's mail there; nothing changes
    until the link's button is used, so an address nobody reads cannot take the digests."""
    _queue_mail(AccountMail.Kind.EMAIL_CHANGE, email, subscriber=subscriber)


def subscriber_send_email_change(*, subscriber: Subscriber, email: str) -> None:
    _send(
        "email-change",
        subscriber,
        to=email,
        new_email=email,
        change_url=links.email_change_url(subscriber, email),
        valid_days=settings.ACCOUNT_CONFIRM_MAX_AGE // 86400,
    )


def subscriber_change_email(*, token: str) -> Subscriber:
    """Move the subscriber's mail to the address the link was sent to, from the one it
    names (one conditional UPDATE, so once), sign them in (which ends the sign-in links
    sent to the old address), mail them again if that is why they changed it (a bounced
    address), and tell the old address. BadToken when the link is not valid or the
    address has a subscription of its own (the unique address constraint decides, so two
    readers cannot both take one)."""
    subscriber_id, old, email = read_email_change_token(
        token, max_age=settings.ACCOUNT_CONFIRM_MAX_AGE
    )
    bounced = Q(status=Subscriber.Status.BOUNCED)
    try:
        with transaction.atomic():
            subscriber = _use_once(
                subscriber_id=subscriber_id,
                unused=Q(email=old),
                why=partial(selectors.subscriber_from_email_change_link, token=token),
                email=email,
                status=Case(When(bounced, then=Value(Subscriber.Status.ACTIVE)), default="status"),
                status_reason=Case(When(bounced, then=Value("")), default="status_reason"),
            )
            _queue_mail(AccountMail.Kind.EMAIL_CHANGED, old, subscriber=subscriber)
    except IntegrityError as error:
        raise BadToken(ADDRESS_TAKEN) from error
    return subscriber


def subscriber_send_email_changed(*, subscriber: Subscriber, old_email: str) -> None:
    _send("email-changed", subscriber, to=old_email, new_email=mask_email(subscriber.email))


def subscriber_update_delivery(
    *,
    subscriber: Subscriber,
    delivery: str,
    send_hour: int,
    weekly_day: int,
    timezone: str,
    max_papers: int,
) -> None:
    """``delivery`` is daily, weekly or paused.

    Choosing daily or weekly (re)starts the digest of a paused, unsubscribed or bounced
    subscriber: they are signed in through an email link, so the address works.
    """
    if delivery == "paused":
        if subscriber.status == Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.PAUSED
    else:
        subscriber.frequency = delivery
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.status_reason = ""
    subscriber.send_hour = send_hour
    subscriber.weekly_day = weekly_day
    subscriber.timezone = timezone
    subscriber.max_papers = max_papers
    subscriber.full_clean()
    subscriber.save()


def subscriber_stop_mailing(*, email: str, status: str, reason: str) -> int:
    """Mark the reader at ``email`` bounced or unsubscribed so no more digests go out.

    Returns how many subscribers changed (0 for an unknown address).
    """
    return Subscriber.objects.with_email(email).update(status=status, status_reason=reason[:200])


def subscriber_set_status(*, subscriber: Subscriber, status: str, reason: str = "") -> None:
    subscriber.status = status
    subscriber.status_reason = reason
    subscriber.save(update_fields=["status", "status_reason"])


def subscriber_make_weekly(*, subscriber: Subscriber) -> None:
    """Weekly digests instead of daily ones (and on again if they were stopped)."""
    subscriber.frequency = Subscriber.Frequency.WEEKLY
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.status_reason = ""
    subscriber.save(update_fields=["frequency", "status", "status_reason"])


def subscriber_unsubscribe(*, subscriber: Subscriber, reason: str = "unsubscribe link") -> None:
    subscriber_set_status(
        subscriber=subscriber, status=Subscriber.Status.UNSUBSCRIBED, reason=reason
    )


def subscriber_delete(*, subscriber: Subscriber) -> None:
    """Remove the subscriber and everything about them: interests, digests, ratings, mail
    still to send to their address, and their address and interests in admin's change
    history (its entries stay, anonymous)."""
    about_them = Q(
        content_type=ContentType.objects.get_for_model(Subscriber), object_id=str(subscriber.id)
    ) | Q(object_repr__icontains=subscriber.email)
    with transaction.atomic():
        LogEntry.objects.filter(about_them).update(
            object_repr=f"deleted subscriber #{subscriber.id}", change_message=""
        )
        AccountMail.objects.filter(address__iexact=subscriber.email).delete()
        subscriber.delete()


def interests_add(*, subscriber: Subscriber, interests: list[tuple[str, bool]]) -> None:
    """Add ``(phrase, excluded)`` interests."""
    Interest.objects.bulk_create(
        [Interest(subscriber=subscriber, phrase=p, excluded=e) for p, e in interests]
    )


def interests_update(*, interests: list[Interest]) -> None:
    """Store the new weight and exclusion of each of these interests, in one statement."""
    Interest.objects.bulk_update(interests, ["weight", "excluded"])


def interest_remove(*, interest: Interest) -> None:
    interest.delete()
