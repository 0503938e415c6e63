"""Editions follow arXiv's calendar: a digest covers the papers added since the reader's
previous one; a day with nothing new sends nothing; the next digest catches up."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from accounts.views import SESSION_KEY
from digest.models import Digest, DigestItem, Paper
from digest.services import digest_send_batch

pytestmark = pytest.mark.django_db


def at(day, hour=8):
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def speech_paper(build_index):
    """Ingest a paper on speech recognition at ``added``; the index is rebuilt after it, as
    after every ingest."""

    def ingest(title, added):
        Paper.objects.create(
            source="arxiv",
            title=f"{title}: speech recognition",
            abstract="We study speech recognition with conformers.",
            ingested_at=added,
        )
        build_index()

    return ingest


@pytest.fixture(autouse=True)
def older_papers_on_other_topics(db):
    """Papers long before any edition: they give words their rarity, as a real history does
    (in a history of speech papers only, "speech recognition" would tell no paper apart)."""
    for topic in ("image segmentation", "protein folding", "graph neural networks"):
        Paper.objects.create(
            source="arxiv",
            title=f"Advances in {topic}",
            abstract=f"We study {topic} with new methods.",
            ingested_at=datetime(2026, 9, 1, tzinfo=UTC),
        )


def sent_titles(subscriber, edition):
    items = DigestItem.objects.filter(digest__subscriber=subscriber, digest__edition=edition)
    return {item.paper.title.split(":")[0] for item in items}


def test_a_day_without_new_papers_sends_nothing_and_the_next_digest_covers_the_gap(
    make_subscriber, client, speech_paper
):
    reader = make_subscriber("ada@example.org", ["speech recognition"], max_papers=2)
    speech_paper("Thursday one", at(19, 10))
    speech_paper("Thursday two", at(19, 11))
    speech_paper("Thursday three", at(19, 12))  # not picked on Friday, and older than Monday's

    friday = digest_send_batch(subscriber_ids=[reader.id], now=at(20))
    saturday = digest_send_batch(subscriber_ids=[reader.id], now=at(21))
    speech_paper("Sunday", at(22, 10))
    monday = digest_send_batch(subscriber_ids=[reader.id], now=at(23))

    assert (friday.sent, saturday.sent, saturday.skipped, monday.sent) == (1, 0, 1, 1)
    assert len(mail.outbox) == 2
    skipped = Digest.objects.get(edition=date(2026, 11, 21))
    assert (skipped.status, skipped.skip_reason) == (Digest.Status.SKIPPED, "no new papers")
    assert sent_titles(reader, date(2026, 11, 23)) == {"Sunday"}
    covers = "Papers added from Friday, 20 November to Monday, 23 November."
    assert covers in mail.outbox[1].body and covers in mail.outbox[1].alternatives[0][0]

    session = client.session
    session[SESSION_KEY] = reader.id
    session.save()
    Digest.objects.filter(edition=date(2026, 11, 23)).delete()  # as on Saturday evening
    page = client.get("/account/").content.decode()
    assert "Nothing was sent on Saturday, 21 November: no new papers" in page


def test_after_a_pause_the_digest_catches_up_with_the_best_of_two_weeks_at_most(
    make_subscriber, settings, speech_paper
):
    settings.DIGEST_CATCHUP_DAYS = 14
    reader = make_subscriber("ada@example.org", ["speech recognition"], max_papers=2)
    speech_paper("Before the pause", at(1, 10))
    digest_send_batch(subscriber_ids=[reader.id], now=at(2))
    speech_paper("Too long ago", at(3, 10))
    for day in (12, 16, 20):
        speech_paper(f"Missed on the {day}th", at(day, 10))

    digest_send_batch(subscriber_ids=[reader.id], now=at(25))

    assert len(sent_titles(reader, date(2026, 11, 25))) == 2
    assert "Too long ago" not in sent_titles(reader, date(2026, 11, 25))
    assert mail.outbox[-1].body.count("Papers added from Wednesday, 11 November to") == 1


def test_a_weekly_digest_covers_the_week_since_the_previous_one(make_subscriber, speech_paper):
    reader = make_subscriber(
        "ada@example.org", ["speech recognition"], frequency="weekly", weekly_day=0
    )
    speech_paper("Last week", at(15, 10))
    digest_send_batch(subscriber_ids=[reader.id], now=at(16))
    for day in (17, 19, 21):
        speech_paper(f"On the {day}th", at(day, 10))

    digest_send_batch(subscriber_ids=[reader.id], now=at(23))

    assert sent_titles(reader, date(2026, 11, 23)) == {"On the 17th", "On the 19th", "On the 21th"}


def test_a_reader_who_moves_their_hour_later_loses_no_paper_added_meanwhile(
    make_subscriber, speech_paper
):
    reader = make_subscriber("ada@example.org", ["speech recognition"], send_hour=3)
    speech_paper("Before", at(19, 10))
    digest_send_batch(subscriber_ids=[reader.id], now=at(20, 4))
    speech_paper("Just after", at(20, 5))  # after that digest, before the new hour
    reader.send_hour = 9
    reader.save(update_fields=["send_hour"])

    digest_send_batch(subscriber_ids=[reader.id], now=at(21, 9))

    assert sent_titles(reader, date(2026, 11, 21)) == {"Just after"}
