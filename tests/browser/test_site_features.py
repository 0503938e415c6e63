import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Interest, Subscriber
from digest.models import Rating
from tests.browser.emailed_links import link_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def corpus(sample_corpus_path):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)


@pytest.fixture
def reader(db):
    reader = Subscriber.objects.create(
        email="ada@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    Interest.objects.create(subscriber=reader, phrase="speech recognition")
    Interest.objects.create(subscriber=reader, phrase="text-to-speech")
    Interest.objects.create(subscriber=reader, phrase="survey", excluded=True)
    return reader


def sign_in(page, live_server, subscriber):
    """The sign-in form, then the link of the email it sends."""
    page.goto(live_server.url + "/signin/")
    page.get_by_label("Email address").fill(subscriber.email)
    page.get_by_role("button", name=re.compile("sign-in link|Send", re.I)).click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(link_in(mail.outbox[-1], live_server, "signin"))
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()  # links act on POST
    expect(page.get_by_role("heading", name="Your digest", exact=True)).to_be_visible()


def test_sign_up_detects_the_time_zone_and_shows_the_weekday_only_for_weekly(
    browser, live_server, screenshot, corpus
):
    context = browser.new_context(
        viewport={"width": 1100, "height": 900}, timezone_id="America/New_York"
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    weekday = page.get_by_label("Day for weekly digests")
    expect(weekday).to_be_hidden()
    page.get_by_role("radio", name="Weekly").check()
    expect(weekday).to_be_visible()
    weekday.select_option(label="Friday")
    page.get_by_label("Delivery hour (your time)").select_option(label="18:00")
    screenshot("11-subscribe-weekly", target=page)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("11-subscribe-weekly-phone", target=page)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.get_by_role("radio", name="Daily").check()
    expect(weekday).to_be_hidden()
    page.get_by_role("radio", name="Weekly").check()

    page.get_by_label("Time zone").fill("Berlin")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your interests").fill("speech recognition")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    subscriber = Subscriber.objects.get(email="ada@example.org")
    assert (subscriber.frequency, subscriber.weekly_day, subscriber.send_hour) == ("weekly", 4, 18)
    assert subscriber.timezone == "Europe/Berlin"
    context.close()


def test_typing_an_interest_suggests_phrases_of_recent_papers(
    page, live_server, screenshot, corpus
):
    page.goto(live_server.url + "/")
    box = page.get_by_label("Your interests")
    box.fill("robot learning, spee")
    suggestion = page.get_by_role("button", name=re.compile(r"^speech recognition \d+ papers?$"))
    expect(suggestion).to_be_visible()
    screenshot("12-interest-suggestions")
    suggestion.click()
    expect(box).to_have_value("robot learning, speech recognition, ")

    box.fill("robot learning, -surv")
    page.get_by_role("button", name=re.compile(r"^survey \d+ papers?$")).click()
    expect(box).to_have_value("robot learning, -survey, ")

    box.fill("robot learning, no spee")
    page.get_by_role("button", name=re.compile(r"^speech recognition \d+ papers?$")).click()
    expect(box).to_have_value("robot learning, no speech recognition, ")

    box.fill("- robot learning\n- spee")  # as the last phrase began
    page.get_by_role("button", name=re.compile(r"^speech recognition \d+ papers?$")).click()
    expect(box).to_have_value("- robot learning\n- speech recognition, ")


def test_after_confirming_a_reader_rates_a_few_papers_for_the_first_digest(
    page, live_server, screenshot, corpus
):
    page.goto(live_server.url + "/")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your interests").fill("speech recognition")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(link_in(mail.outbox[-1], live_server, "confirm"))
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()  # links act on POST

    expect(page.get_by_role("heading", name="Make your first digest fit")).to_be_visible()
    papers = page.locator(".papers > li")
    assert 3 <= papers.count() <= 6
    first = papers.first
    title = first.locator(".title").inner_text()
    first.get_by_role("button", name=f"More like {title}").click()
    row = page.locator(".papers > li", has_text=title)
    expect(row.get_by_role("button", name=f"More like {title}")).to_have_attribute(
        "aria-pressed", "true"
    )
    second = page.locator(".papers > li").nth(1)
    second_title = second.locator(".title").inner_text()
    second.get_by_role("button", name=f"Less like {second_title}").click()
    expect(page.get_by_role("button", name=f"Less like {second_title}")).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot("13-onboarding")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("13-onboarding-phone")
    page.set_viewport_size({"width": 1100, "height": 900})
    subscriber = Subscriber.objects.get(email="ada@example.org")
    assert sorted(Rating.objects.filter(subscriber=subscriber).values_list("value", flat=True)) == [
        -1,
        1,
    ]
    page.get_by_role("link", name="Done: go to my account").click()
    expect(page.get_by_role("heading", name="Your digest", exact=True)).to_be_visible()


def test_interests_are_saved_in_one_form_and_a_bad_weight_is_shown_by_its_row(
    page, live_server, screenshot, corpus, reader
):
    sign_in(page, live_server, reader)
    expect(page.get_by_label("Weight of survey")).to_be_hidden()  # excluded: no weight
    page.get_by_label("Exclude survey").uncheck()
    expect(page.get_by_label("Weight of survey")).to_be_visible()
    page.get_by_label("Exclude survey").check()
    page.get_by_label("Weight of speech recognition").fill("3")
    page.get_by_label("Weight of text-to-speech").fill("9")
    page.get_by_role("button", name="Save interests").click()
    row = page.locator("tr", has_text="text-to-speech")
    expect(row.get_by_role("alert")).to_have_text("Choose a weight between 0.1 and 5.")
    expect(page.get_by_label("Weight of text-to-speech")).to_have_value("9")
    screenshot("14-interests-bad-weight")
    assert reader.interests.get(phrase="speech recognition").weight == 1.0

    page.get_by_label("Weight of text-to-speech").fill("0.5")
    page.get_by_role("button", name="Save interests").click()
    expect(page.get_by_text("Interests saved")).to_be_visible()
    weights = dict(reader.interests.values_list("phrase", "weight"))
    assert weights == {"speech recognition": 3.0, "text-to-speech": 0.5, "survey": 1.0}


def test_a_reader_rates_papers_in_place_from_the_preview(
    page, live_server, screenshot, corpus, reader
):
    sign_in(page, live_server, reader)
    first = page.locator("#preview .papers > li").first
    title = first.locator(".title").inner_text()
    first.get_by_role("button", name=f"More like {title}").click()
    expect(page).to_have_url(re.compile(r"/account/#paper-\d+$"))
    rated = page.locator("#ratings .papers > li", has_text=title)
    expect(rated).to_be_visible()
    expect(rated.get_by_role("button", name=f"More like {title}")).to_have_attribute(
        "aria-pressed", "true"
    )
    rated.get_by_role("button", name=f"Less like {title}").click()
    expect(
        page.locator("#ratings .papers > li", has_text=title).get_by_role(
            "button", name=f"Less like {title}"
        )
    ).to_have_attribute("aria-pressed", "true")
    assert Rating.objects.get(subscriber=reader).value == -1
    screenshot("15-account-rated-in-place")


def test_the_account_page_shows_the_weekday_only_for_weekly_and_asks_before_deleting(
    page, live_server, corpus, reader
):
    sign_in(page, live_server, reader)
    weekday = page.get_by_label("Day for weekly digests")
    expect(weekday).to_be_hidden()
    page.get_by_label("How often").select_option("weekly")
    expect(weekday).to_be_visible()

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your digest", exact=True)).to_be_visible()
    assert Subscriber.objects.filter(pk=reader.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and all its data are deleted")).to_be_visible()
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
