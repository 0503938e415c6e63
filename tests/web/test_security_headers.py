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


@pytest.mark.parametrize("path", ["/account/", "/account/export/"])
def test_account_pages_and_the_export_are_never_stored_by_a_browser_or_proxy(signed_in, path):
    response = signed_in.get(path)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
