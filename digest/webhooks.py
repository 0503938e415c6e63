"""ESP tracking webhooks: stop mailing readers whose address bounced, complained or opted out.

Only the tracking endpoint of the ESP in ``EMAIL_BACKEND`` is served, at
``/anymail/<esp>/tracking/``, and only when ``ANYMAIL_WEBHOOK_SECRET`` is set: every call
must carry it as HTTP basic auth (a wrong or missing one gets 401 and changes nothing).
Without the secret, or for another ESP, the endpoint does not exist (404). Anymail parses
the call and sends one ``tracking`` signal per event.
"""

import functools
import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError
from anymail.signals import EventType, tracking
from anymail.utils import get_request_basic_auth
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from accounts import services
from accounts.models import Subscriber

logger = logging.getLogger(__name__)

ANYMAIL_BACKENDS = "anymail.backends."
# A stored reason holds the event type and at most this much of the ESP's description.
DESCRIPTION_MAX = 80

# What each kind of event makes of the reader; other events (delivered, opened...) change nothing.
STATUS_AFTER = {
    EventType.BOUNCED: Subscriber.Status.BOUNCED,
    EventType.COMPLAINED: Subscriber.Status.UNSUBSCRIBED,
    EventType.UNSUBSCRIBED: Subscriber.Status.UNSUBSCRIBED,
}


def configured_esp() -> str:
    """The ESP of ``EMAIL_BACKEND`` (``anymail.backends.postmark.EmailBackend`` -> postmark),
    or "" for SMTP, the outbox and other non-anymail backends."""
    backend = settings.EMAIL_BACKEND
    return (
        backend.removeprefix(ANYMAIL_BACKENDS).partition(".")[0]
        if backend.startswith(ANYMAIL_BACKENDS)
        else ""
    )


def webhook_secrets() -> list[str]:
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET") or []
    return [secret] if isinstance(secret, str) else list(secret)


@functools.cache
def _anymail_tracking_view(esp: str):
    """Anymail's tracking view for ``esp``, or None if anymail has none."""
    name = f"{esp}_tracking_webhook"
    return next((p.callback for p in anymail_urls.urlpatterns if p.name == name), None)


@csrf_exempt
def tracking_webhook(request, esp: str):
    """The configured ESP's tracking webhook, behind basic auth."""
    secrets = webhook_secrets()
    view = _anymail_tracking_view(esp) if esp == configured_esp() and secrets else None
    if view is None:
        raise Http404("No such webhook.")
    given = get_request_basic_auth(request) or ""
    if not any(constant_time_compare(given, secret) for secret in secrets):
        logger.warning("Tracking webhook call without the right credentials refused")
        response = HttpResponse("Authentication required.", status=401)
        response["WWW-Authenticate"] = 'Basic realm="webhooks"'
        return response
    try:
        return view(request)
    except (AnymailError, ValueError, KeyError, TypeError) as error:
        # A malformed body from an authenticated caller: say so, without a traceback.
        logger.warning("Malformed %s tracking webhook call: %s", esp, type(error).__name__)
        return HttpResponseBadRequest("Malformed webhook body.")


def _clean(text: str) -> str:
    """Printable characters only, single spaces, at most DESCRIPTION_MAX of them."""
    words = "".join(c if c.isprintable() else " " for c in text).split()
    cleaned = " ".join(words)
    return cleaned if len(cleaned) <= DESCRIPTION_MAX else cleaned[: DESCRIPTION_MAX - 1] + "…"


def _is_soft_bounce(event) -> bool:
    """A bounce the ESP itself calls temporary (a full mailbox, a server down for now):
    anymail reports it as bounced, and only the ESP's own event tells (Postmark's "Type",
    Brevo's and Mandrill's "event"). The ESP reports a hard bounce if it lasts; Postmark
    also makes the address inactive only then."""
    raw = event.esp_event
    return isinstance(raw, dict) and (
        raw.get("Type") == "SoftBounce" or raw.get("event") == "soft_bounce"
    )


@receiver(tracking, dispatch_uid="digest.webhooks.stop_mailing")
def stop_mailing(sender, event, esp_name, **kwargs):
    status = STATUS_AFTER.get(event.event_type)
    if status is None or not event.recipient or _is_soft_bounce(event):
        return
    if not isinstance(event.recipient, str):
        raise TypeError("the event's recipient is not an address")
    reason = f"{esp_name} reported {event.event_type}"
    description = _clean(str(event.description or event.reject_reason or ""))
    if description:
        reason += f": {description}"
    services.subscriber_stop_mailing(email=event.recipient, status=status, reason=reason)
