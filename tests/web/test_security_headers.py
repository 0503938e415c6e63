"""Headers that keep a browser from running what a page did not mean to run, or caching it."""

import pytest

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/", "/signin/", "/admin/login/", "/no-such-page/"])
def test_every_page_forbids_inline_scripts_plugins_and_framing(client, path):
    policy = directives(client.get(path))

    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
