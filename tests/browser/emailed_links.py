"""Links in the emails the browser tests receive, pointed at the live server."""

import re

from django.conf import settings


def link_in(message, live_server, kind):
    """The ``/kind/<token>/`` link of ``message``, on the live server."""
    url = re.search(rf"{re.escape(settings.SITE_URL)}/{kind}/\S+/", message.body).group(0)
    return url.replace(settings.SITE_URL, live_server.url)
