from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts.views import SESSION_KEY
from digest.models import Digest, DigestItem

EDITION = date(2026, 11, 23)


@pytest.fixture
def run(run_digests):
    return lambda edition=EDITION: run_digests(edition)


def test_it_sends_each_subscriber_their_best_matching_papers(corpus, make_subscriber, run):
    speech = make_subscriber("speech@example.org", ["speech recognition"])
    images = make_subscriber("images@example.org", ["text-to-image generation"])

    run()

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"speech@example.org", "images@example.org"}
    speech_items = list(DigestItem.objects.filter(digest__subscriber=speech).order_by("rank"))
    image_items = list(DigestItem.objects.filter(digest__subscriber=images).order_by("rank"))
    assert "speech" in speech_items[0].paper.title.lower()
    assert "image" in (image_items[0].paper.title + image_items[0].paper.abstract).lower()
    assert {i.paper_id for i in speech_items}.isdisjoint({i.paper_id for i in image_items[:3]})
    assert speech_items[0].paper.title in by_recipient["speech@example.org"].body


def test_it_skips_a_subscriber_with_no_match_instead_of_sending_an_empty_email(
    corpus, make_subscriber, run
):
    make_subscriber("geo@example.org", ["sedimentary basin stratigraphy"])

    run()

    assert mail.outbox == []
    digest = Digest.objects.get()
    assert digest.status == Digest.Status.SKIPPED
    assert digest.skip_reason == "no new matching papers"


def test_a_subscriber_who_only_keeps_topics_out_is_skipped_with_that_reason(
    corpus, make_subscriber, run, client
):
    reader = make_subscriber("out@example.org", ["survey"])
    reader.interests.update(excluded=True)

    run()

    assert mail.outbox == []
    assert Digest.objects.get().skip_reason == "no topic followed"
    session = client.session
    session[SESSION_KEY] = reader.id
    session.save()
    page = client.get("/account/").content.decode()
    assert "Nothing was sent on Monday, 23 November: you followed no topic." in page


def test_it_sends_nothing_the_second_time_for_the_same_date(corpus, make_subscriber, run):
    make_subscriber("speech@example.org", ["speech recognition"])
    run()
    assert len(mail.outbox) == 1

    run()

    assert len(mail.outbox) == 1
    assert Digest.objects.count() == 1


def test_it_never_repeats_a_paper_on_the_next_day(corpus, make_subscriber, run):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"], max_papers=3)
    run(date(2026, 11, 23))
    # The next digest's window holds the same papers (as for a paper added while a digest
    # is being made, which both windows hold).
    Digest.objects.update(covers_to=F("covers_from"))
    run(date(2026, 11, 24))

    first, second = (
        set(d.items.values_list("paper_id", flat=True))
        for d in Digest.objects.filter(subscriber=subscriber).order_by("edition")
    )
    assert len(mail.outbox) == 2
    assert first and second
    assert first.isdisjoint(second)


def test_it_leaves_out_papers_about_an_excluded_topic(corpus, make_subscriber, run):
    with_video = make_subscriber("a@example.org", ["diffusion"], max_papers=20)
    without_video = make_subscriber("b@example.org", ["diffusion"], ["video"], max_papers=20)

    run()

    def titles(subscriber):
        return [
            i.paper.title.lower() for i in DigestItem.objects.filter(digest__subscriber=subscriber)
        ]

    assert any("video" in t for t in titles(with_video))
    assert not any("video" in t for t in titles(without_video))


def test_it_does_not_send_to_subscribers_who_are_not_active(corpus, make_subscriber, run):
    for status in ("pending", "paused", "unsubscribed", "bounced"):
        subscriber = make_subscriber(f"{status}@example.org", ["speech recognition"])
        subscriber.status = status
        subscriber.save()

    run()

    assert mail.outbox == []


@pytest.mark.parametrize("excluded", [[], ["video"]])
def test_it_skips_a_subscriber_who_removed_every_interest(corpus, make_subscriber, run, excluded):
    make_subscriber("nothing@example.org", [], excluded)

    run()

    assert mail.outbox == []
    assert Digest.objects.get().status == Digest.Status.SKIPPED


def test_a_manual_run_for_a_date_no_reader_has_yet_is_refused(corpus, make_subscriber):
    """A digest sent for a later edition counts as done for the dates before it: one sent
    for next week by a typo would hold back the reader's digests until then."""
    make_subscriber("speech@example.org", ["speech recognition"])
    next_week = timezone.now().date() + timedelta(days=7)

    with pytest.raises(CommandError, match=f"{next_week} is no reader's date yet"):
        call_command("send_digests", date=next_week)

    assert not Digest.objects.exists() and mail.outbox == []
