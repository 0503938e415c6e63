"""The digest email at 600 and 390 px (light and dark), its page, rating in place and the
archive search, in Debian's Chromium; screenshots go to test-artifacts/screenshots/."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.links import signin_url
from accounts.models import Interest, Subscriber
from digest.models import Paper, Rating
from digest.services import digest_send_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUTHORS = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger W. Dijkstra"]


@pytest.fixture
def digest_email(sample_corpus_path, build_index):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    Paper.objects.create(
        source="arxiv",
        external_id="2611.04242",
        title="Conformer transducers for streaming speech recognition at scale",
        abstract="We train streaming speech recognition models with conformer transducers "
        "on a million hours of speech and report word error rates on many benchmarks.",
        authors=AUTHORS,
        published=date(2026, 11, 20),
    )
    build_index()  # as after an ingest: the archive search reads the built index
    reader = Subscriber.objects.create(
        email="ada@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    for phrase in ("speech recognition", "conformer"):
        Interest.objects.create(subscriber=reader, phrase=phrase)
    digest_send_batch(subscriber_ids=[reader.id], now=timezone.now())
    return mail.outbox[-1]


def test_the_digest_email_reads_on_a_desktop_and_a_phone_in_light_and_dark(
    page, digest_email, screenshot
):
    html = digest_email.alternatives[0][0]
    for width, scheme in [(600, "light"), (390, "light"), (390, "dark")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        page.set_content(html)
        expect(page.get_by_text("Ada Lovelace, Alan Turing, Grace Hopper et al.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        screenshot(f"digest-email-{width}-{scheme}")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('table.c')).backgroundColor"
    )
    assert background == "rgb(22, 27, 34)"  # the dark card


def test_a_reader_opens_the_digest_page_and_rates_in_place(
    page, live_server, digest_email, screenshot
):
    path = re.search(r"View in your browser: \S+?(/digests/\S+/)", digest_email.body)[1]
    page.goto(live_server.url + path)
    expect(
        page.get_by_role("heading", name=re.compile("picked for your interests"))
    ).to_be_visible()
    screenshot("digest-page")

    first = page.locator("ol.papers > li").first
    first.get_by_role("button", name="More like this").click()
    expect(first.get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(first.get_by_role("status")).to_have_text("Rated; press again to undo.")
    assert page.url == live_server.url + path  # rated in place, by the page's script
    assert Rating.objects.get().value == 1
    screenshot("digest-page-rated")

    first.get_by_role("button", name="More like this").click()
    expect(first.get_by_role("status")).to_have_text("Rating removed.")
    assert not Rating.objects.exists()

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("digest-page-phone")


def test_a_visitor_searches_the_archive(page, live_server, digest_email, screenshot):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Search papers").click()
    page.get_by_role("searchbox").fill("streaming speech recognition")
    page.get_by_role("button", name="Search").click()

    expect(page.locator("#results .title").first).to_contain_text("Conformer transducers")
    screenshot("search")
    page.get_by_role("searchbox").fill("zzqxv")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No paper matches “zzqxv”")).to_be_visible()
    assert settings.SITE_URL not in page.url


def test_a_reader_rates_a_search_result_in_place_and_follows_the_search(
    page, live_server, digest_email, screenshot
):
    reader = Subscriber.objects.get(email="ada@example.org")
    page.goto(signin_url(reader).replace(settings.SITE_URL, live_server.url))
    page.get_by_role("button", name="Sign in").click()  # the link's page acts on a POST only
    page.wait_for_url(live_server.url + "/account/")
    page.goto(live_server.url + "/papers/?q=speech+translation")
    first = page.locator("#results ol.papers > li").first
    first.get_by_role("button", name="Less like this").click()
    expect(first.get_by_role("button", name="Less like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Rating.objects.get(subscriber=reader).value == -1
    screenshot("search-signed-in")

    page.get_by_role("button", name="Follow “speech translation” in your digest").click()

    expect(page.get_by_text("Interests added")).to_be_visible()
    assert page.url.startswith(live_server.url + "/account/")
    assert reader.interests.filter(phrase="speech translation").exists()
