"""The site works under its Content-Security-Policy (the page fixture fails on anything it
blocks): the one script, asking before an account is deleted, is a static file."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Subscriber
from accounts.views import SESSION_KEY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_deleting_an_account_asks_first_and_cancel_keeps_it(page, live_server):
    reader = Subscriber.objects.create(
        email="ada@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    session = SessionStore()
    session[SESSION_KEY] = reader.id
    session.create()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + "/account/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("button", name="Delete my account")).to_be_visible()
    assert Subscriber.objects.filter(id=reader.id).exists()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(lambda url: "/account/" not in url)

    assert questions == ["Delete your account and all its data?"] * 2
    assert not Subscriber.objects.filter(id=reader.id).exists()
