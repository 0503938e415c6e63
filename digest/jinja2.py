"""The Jinja2 environment of the email templates (``templates/emails/``, see ``emails``).

Emails are rendered with Jinja2 because a digest's templates render several times faster
than with Django's engine. HTML templates are autoescaped; ``.txt`` ones (subjects and
plain-text bodies) are not. The filters are Django's own or do the same, so the emails read
as they did with Django's templates.
"""

from django.template import defaultfilters
from jinja2 import Environment, select_autoescape

from digest.templatetags.digest_extras import reasons


def and_list(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    items = list(items)
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def truncatewords(text: str, count: int) -> str:
    """Django's ``truncatewords`` (the first ``count`` words, then " …") without its lazy
    ``Truncator``, which made it the costliest filter of a digest."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def shorten(text: str, chars: int) -> str:
    """At most about ``chars`` characters of ``text``, cut after a whole word, then " …"."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    return text[: chars + 1].rsplit(" ", 1)[0].rstrip(",;:.") + " …"


def environment(**options) -> Environment:
    options.update(autoescape=select_autoescape(["html"]), keep_trailing_newline=True)
    env = Environment(**options)
    env.filters.update(
        and_list=and_list,
        date=defaultfilters.date,
        pluralize=defaultfilters.pluralize,
        reasons=reasons,
        shorten=shorten,
        truncatewords=truncatewords,
    )
    return env
