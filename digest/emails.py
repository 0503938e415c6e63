"""The one place emails are built: ``make_message(name, to, ctx)`` renders the Jinja2
templates ``templates/emails/NAME-subject.txt``, ``NAME-body-text.txt`` and
``NAME-body-html.html`` (see ``digest.jinja2``)."""

import secrets

from anymail.message import AnymailMessage
from django.conf import settings
from django.template import engines


class MailMessage(AnymailMessage):
    """An AnymailMessage whose MIME form has its multipart boundary set up front.

    Left unset, the email package picks one by searching the whole message for it, which
    took a fifth of the time to build a digest's MIME. 64 random bits make the same check
    needless.
    """

    def message(self):
        mime = super().message()
        if mime.is_multipart():
            mime.set_boundary(f"==============={secrets.randbits(64):020d}==")
        return mime


def make_message(
    name: str,
    to: str,
    ctx: dict,
    *,
    from_email: str | None = None,
    headers: dict | None = None,
    tags: list[str] | None = None,
    metadata: dict | None = None,
) -> MailMessage:
    ctx = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **ctx}

    def render(template: str) -> str:
        return engines["emails"].get_template(f"{name}-{template}").render(ctx)

    subject = " ".join(render("subject.txt").split())
    message = MailMessage(
        subject=subject,
        body=render("body-text.txt"),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
        tags=tags or [name],
        metadata=metadata or {},
    )
    message.attach_alternative(render("body-html.html"), "text/html")
    return message
