"""The feedback loop in Debian's Chromium: email link, button, undo, account page, download."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts.links import signin_url
from digest.models import Rating
from digest.services import digest_send_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_it_rates_undoes_and_downloads_in_a_real_browser(page, live_server, corpus, subscriber):
    def local(url):
        return url.replace(settings.SITE_URL, live_server.url)

    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    more = re.findall(r"More like this: (\S+)", mail.outbox[-1].body)

    page.goto(local(more[0]))
    assert not Rating.objects.exists()
    page.get_by_role("button", name="More like this").click()
    expect(page.get_by_text("Your next digest takes it into account")).to_be_visible()
    assert Rating.objects.get().value == 1
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Your rating was removed")).to_be_visible()
    assert not Rating.objects.exists()

    page.goto(local(more[1]))
    page.get_by_role("button", name="More like this").click()
    page.goto(local(signin_url(subscriber)))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/account/")
    rated = page.locator("#ratings li")
    expect(rated).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["profile"]["email"] == subscriber.email
    assert len(data["ratings"]) == 1 and len(data["digests"]) == 1

    rated.get_by_role("button", name=re.compile("Undo")).click()
    expect(page.get_by_text("No ratings yet")).to_be_visible()
    assert not Rating.objects.exists()
