"""The one place emails are built: ``make_message(name, to, ctx)`` renders the Jinja2
templates ``templates/emails/NAME-subject.txt``, ``NAME-body-text.txt`` and
``NAME-body-html.html`` (see ``digest.jinja2``)."""

from anymail.message import AnymailMessage
from django.conf import settings
from django.template import engines


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

    def render(template: str) -> str:
        return engines["emails"].get_template(f"{name}-{template}").render(ctx)

    subject = " ".join(render("subject.txt").split())
    message = AnymailMessage(
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
