import re
from datetime import date, timedelta

import feedparser
import pytest
from django.utils import timezone

from accounts.models import Subscriber
from digest.models import Digest, DigestItem, Paper

pytestmark = pytest.mark.django_db


def sent_digest(subscriber, edition, titles, **paper_fields):
    digest = Digest.objects.create(
        subscriber=subscriber, edition=edition, status=Digest.Status.SENT, sent_at=timezone.now()
    )
    for rank, title in enumerate(titles, start=1):
        paper = Paper.objects.create(source="arxiv", title=title, abstract="Sp.", **paper_fields)
        DigestItem.objects.create(digest=digest, paper=paper, rank=rank, score=0.3, terms=[])
    return digest


def feed_path(signed_in):
    section = signed_in.get("/account/").content.decode().split('id="feed"')[1]
    return re.search(r'value="http://[^/]+(/feed/[^"]+/)"', section)[1]


def test_a_readers_feed_is_atom_with_their_papers_newest_first(signed_in, subscriber):
    sent_digest(subscriber, date(2026, 11, 20), ["Older paper"])
    sent_digest(
        subscriber,
        date(2026, 11, 23),
        ["Whisper at scale"],
        external_id="2611.00042",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
    )
    someone_else = Subscriber.objects.create(email="other@example.org")
    sent_digest(someone_else, date(2026, 11, 23), ["Not for this reader"])
    Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 24))  # not sent yet

    response = signed_in.get(feed_path(signed_in))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["Whisper at scale", "Older paper"]
    newest = feed.entries[0]
    assert newest.link == "https://arxiv.org/abs/2611.00042"
    assert newest.author == "Ada Lovelace, Alan Turing, Grace Hopper et al."
    assert [e.href for e in newest.enclosures] == ["https://arxiv.org/pdf/2611.00042"]
    # RFC 4287 wants each entry's <updated>: feed readers sort and dedupe by it.
    entries = response.content.decode().split("<entry>")[1:]
    assert len(entries) == 2 and all("<updated>" in entry for entry in entries)


def test_a_wrong_or_reset_feed_address_is_not_found(signed_in, subscriber, client):
    sent_digest(subscriber, date(2026, 11, 23), ["Whisper at scale"])
    old = feed_path(signed_in)

    signed_in.post("/account/feed/reset/")
    new = feed_path(signed_in)

    assert new != old
    assert signed_in.get(old).status_code == 404
    assert signed_in.get(old[:-2] + "x/").status_code == 404
    assert signed_in.get("/feed//").status_code == 404
    assert "Whisper at scale" in signed_in.get(new).content.decode()


def test_the_feed_address_is_reset_only_by_a_post_from_the_signed_in_reader(
    client, signed_in, subscriber
):
    token = subscriber.feed_token

    assert signed_in.get("/account/feed/reset/").status_code == 405
    signed_in.post("/signout/")
    client.post("/account/feed/reset/")

    subscriber.refresh_from_db()
    assert subscriber.feed_token == token


def test_a_feed_reader_polling_an_unchanged_feed_gets_not_modified(
    signed_in, subscriber, client, django_assert_max_num_queries
):
    # Feed readers poll every few minutes: an unchanged feed is answered without its papers.
    older = sent_digest(subscriber, date(2026, 11, 20), ["Older paper"])
    Digest.objects.filter(pk=older.pk).update(sent_at=older.sent_at - timedelta(days=1))
    path = feed_path(signed_in)
    first = client.get(path)
    since = first["Last-Modified"]

    with django_assert_max_num_queries(1):
        unchanged = client.get(path, HTTP_IF_MODIFIED_SINCE=since)
    sent_digest(subscriber, date(2026, 11, 21), ["Newer paper"])
    changed = client.get(path, HTTP_IF_MODIFIED_SINCE=since)

    assert unchanged.status_code == 304 and unchanged.content == b""
    assert changed.status_code == 200 and "Newer paper" in changed.content.decode()


def test_each_readers_feed_names_itself_by_its_own_address_on_the_site(
    signed_in, subscriber, settings
):
    path = feed_path(signed_in)
    other = Subscriber.objects.create(email="other@example.org")
    feed = feedparser.parse(signed_in.get(path, HTTP_HOST="127.0.0.1:8765").content)
    assert feed.feed.id == settings.SITE_URL + path
    assert {"rel": "self", "href": settings.SITE_URL + path} in [
        {"rel": link.rel, "href": link.href} for link in feed.feed.links
    ]
    other_feed = feedparser.parse(signed_in.get(f"/feed/{other.feed_token}/").content)
    assert other_feed.feed.id != feed.feed.id
