"""The one place emails are built: ``make_message(name, to, ctx)`` renders
``templates/emails/NAME-subject.txt``, ``NAME-body-text.txt`` and ``NAME-body-html.html``."""

from anymail.message import AnymailMessage
from django.conf import settings
from django.template.loader import render_to_string


def make_message(
    name: str,
    to: str,
    ctx: dict,
    *,
    from_email: str | None = None,
    headers: dict | None = None,
    tags: list[str] | None = None,
    metadata: dict | None = None,
) -> AnymailMessage:
    ctx = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **ctx}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    message = AnymailMessage(
        subject=subject,
        body=render_to_string(f"emails/{name}-body-text.txt", ctx),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
        tags=tags or [name],
        metadata=metadata or {},
    )
    message.attach_alternative(render_to_string(f"emails/{name}-body-html.html", ctx), "text/html")
    return message
