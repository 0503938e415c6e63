import re

import pytest

from digest.models import Paper, Rating

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/signin/", "/account/", "/account/start/"])
def test_pages_carry_no_inline_scripts_handlers_or_styles(signed_in, subscriber, papers, path):
    """A Content-Security-Policy without 'unsafe-inline' must not break any of them."""
    Rating.objects.create(subscriber=subscriber, paper=Paper.objects.first(), value=1)
    page = signed_in.get(path).content.decode()
    assert not INLINE.findall(page)
