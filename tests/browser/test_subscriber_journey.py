import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Subscriber
from digest.services import digest_send_batch
from tests.browser.emailed_links import link_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def preview_titles(page):
    return page.locator("#preview .papers .title").all_inner_texts()


def test_subscribe_confirm_tune_and_unsubscribe(page, live_server, screenshot, sample_corpus_path):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)

    page.goto(live_server.url + "/")
    screenshot("01-subscribe")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#id_email_error, .errorlist").first).to_be_visible()
    screenshot("02-subscribe-errors")
    assert not Subscriber.objects.exists()

    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your interests").fill("speech recognition, text-to-speech")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot("03-check-inbox")

    [confirmation] = mail.outbox
    page.goto(link_in(confirmation, live_server, "confirm"))
    expect(page.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING  # a GET changes nothing
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_text("Your subscription is confirmed")).to_be_visible()
    assert page.url == live_server.url + "/account/start/"
    page.get_by_role("link", name="Done: go to my account").click()
    speech = preview_titles(page)
    assert speech and any("speech" in title.lower() for title in speech)
    screenshot("04-account")

    for phrase in ["speech recognition", "text-to-speech"]:
        page.get_by_role("button", name=f"Remove {phrase}").click()
        expect(page.get_by_text(f"Removed “{phrase}”")).to_be_visible()
    expect(page.get_by_text("You follow no interests yet")).to_be_visible()
    page.get_by_label("Add interests").fill("object detection\nimage segmentation")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Interests added")).to_be_visible()
    page.get_by_label("Weight of object detection").fill("3")
    page.get_by_role("button", name="Save interests").click()
    expect(page.get_by_text("Interests saved")).to_be_visible()
    vision = preview_titles(page)
    assert vision and set(vision).isdisjoint(speech)
    screenshot("05-account-after-edit")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("06-account-phone")
    page.set_viewport_size({"width": 1100, "height": 900})

    subscriber = Subscriber.objects.get(email="ada@example.org")
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    digest = mail.outbox[-1]
    assert digest.from_email == settings.DIGEST_FROM_EMAIL
    page.goto(link_in(digest, live_server, "unsubscribe"))
    expect(page.get_by_role("heading", name="Unsubscribe?")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE  # a GET changes nothing
    screenshot("07a-unsubscribe-choices")
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    screenshot("07-unsubscribed")

    page.get_by_role("button", name="Pause instead").click()
    expect(page.get_by_role("heading", name="Your digest is paused")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED
    screenshot("08-paused")

    page.goto(live_server.url + "/no/such/page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot("09-not-found")
