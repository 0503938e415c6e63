import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Interest, Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_preview_a_digest_and_see_why(
    page, live_server, screenshot, admin_user, sample_corpus_path
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    subscriber = Subscriber.objects.create(
        email="grace@example.org", status="active", confirmed_at=timezone.now()
    )
    Interest.objects.create(subscriber=subscriber, phrase="text-to-image generation")

    page.goto(live_server.url + "/admin/accounts/subscriber/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Select this object for an action - grace@example.org").check()
    page.get_by_role("combobox", name="Action").select_option("preview_next_digest")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Next digest preview")).to_be_visible()
    rows = page.locator("#content table tbody tr")
    assert rows.count() > 0
    assert "image" in rows.first.inner_text().lower()
    screenshot("10-admin-preview")
