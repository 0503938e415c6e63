"""Email delivery helpers: the local outbox backend and the temporary/permanent split."""

import smtplib
from pathlib import Path

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class OutboxEmailBackend(BaseEmailBackend):
    """Writes each message as one ``.eml`` file in ``EMAIL_OUTBOX_DIR`` (the demo's inbox)."""

    def send_messages(self, email_messages):
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            recipient = message.to[0] if message.to else "unknown"
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in recipient)
            path = outbox / f"{stamp}-{safe}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)


def is_temporary_failure(exc: Exception) -> bool:
    """True when trying the same message again later may succeed (4xx, timeouts, 5xx APIs)."""
    if isinstance(exc, AnymailRecipientsRefused | smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code or 0
        return status == 429 or status >= 500 or status == 0
    if isinstance(exc, AnymailAPIError):
        return False
    # Connection trouble: refused, reset, timed out, server disconnected (all OSErrors).
    return isinstance(exc, OSError)


def describe_failure(exc: Exception) -> str:
    """A delivery error as a person reads it, e.g. ``550 5.1.1 No such user here``."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
    return str(exc) or exc.__class__.__name__
