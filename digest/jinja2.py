"""The Jinja2 environment of the email templates (``templates/emails/``, see ``emails``).

Emails are rendered with Jinja2 because a digest's templates render several times faster
than with Django's engine. HTML templates are autoescaped; ``.txt`` ones (subjects and
plain-text bodies) are not. The filters are Django's own or do the same, so the emails read
as they did with Django's templates.
"""

import functools
from datetime import date as Date
from datetime import datetime

from django.template import defaultfilters
from jinja2 import Environment, select_autoescape

from digest.templatetags.digest_extras import reasons


def and_list(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    items = list(items)
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def date(value, fmt: str | None = None) -> str:
    """Django's ``date`` filter, remembered for calendar dates: every digest of a batch
    shows the same edition date, and formatting dates (month and day names through the
    translation machinery) was two fifths of rendering a digest (py-spy, 500 digests).
    The site has one language (``LANGUAGE_CODE``, no locale middleware), so a date
    always reads the same."""
    if isinstance(value, Date) and not isinstance(value, datetime):
        return _calendar_date(value, fmt)
    return defaultfilters.date(value, fmt)


@functools.lru_cache(maxsize=4096)
def _calendar_date(value: Date, fmt: str | None) -> str:
    return defaultfilters.date(value, fmt)


@functools.lru_cache(maxsize=4096)
def truncatewords(text: str, count: int) -> str:
    """Django's ``truncatewords`` (the first ``count`` words, then " …") without its lazy
    ``Truncator``, which made it the costliest filter of a digest."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


@functools.lru_cache(maxsize=4096)
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
        date=date,
        pluralize=defaultfilters.pluralize,
        reasons=reasons,
        shorten=shorten,
        truncatewords=truncatewords,
    )
    return env
