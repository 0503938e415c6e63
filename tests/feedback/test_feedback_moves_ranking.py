"""Ratings reach the recommender: the next digest leans towards liked papers, away from others."""

from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Subscriber
from digest import selectors
from digest.models import Digest, DigestItem, Paper, Rating
from digest.ranking import FLOOR
from digest.services import digest_send_batch, rating_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(corpus, make_subscriber):
    reader = make_subscriber(interests=["language models"])
    # Due at 00:00, so tomorrow's digest takes the papers ingested today at whatever hour
    # the test runs (with the default 07:00 it found none before 07:00 UTC).
    Subscriber.objects.filter(id=reader.id).update(max_papers=5, send_hour=0)
    return reader


@pytest.fixture
def first_digest(reader):
    digest_send_batch(subscriber_ids=[reader.id], now=timezone.now())
    return list(DigestItem.objects.filter(digest__subscriber=reader).select_related("paper"))


def _next_picks(reader, now):
    """The next digest's picks, its window holding the papers the first one had (the
    sample is ingested as the test starts)."""
    subscriber = Subscriber.objects.prefetch_related("interests").get(id=reader.id)
    since = {reader.id: now - timedelta(days=7)}
    return selectors.recommendations_for([subscriber], now=now, since=since)[reader.id]


def _closeness(paper_ids, paper):
    """Cosine similarity of ranked picks to one paper, in the recommender's own space,
    averaged with the first picks counting most (weight 1 / rank), as a reader sees them."""
    data = selectors.corpus()
    rows = data.rows_of(np.asarray(paper_ids))
    [row] = data.rows_of(np.asarray([paper.id]))
    similarity = (data.index.matrix[rows] @ data.index.matrix[row].T).toarray().ravel()
    return float(np.average(similarity, weights=1 / np.arange(1, len(rows) + 1)))


def _first_with_a_close_paper(items, picks) -> int:
    """The place of the first item with a paper close to it (covering ``FLOOR`` of its
    title's information: what a like brings in) that is neither sent nor picked yet."""
    data = selectors.corpus()
    presence = (data.index.matrix > 0).astype(np.float32).tocsr()
    sent = {item.paper_id for item in items} | set(picks)
    for at, item in enumerate(items):
        close = data.index.coverage([item.paper.title], presence).toarray().ravel() >= FLOOR
        if set(data.paper_ids[close].tolist()) - sent:
            return at
    raise AssertionError("no paper of the first digest has a close paper")


def test_it_leans_the_next_digest_towards_a_paper_liked_from_the_email(
    client, reader, first_digest, feedback_links, link_path
):
    tomorrow = timezone.now() + timedelta(days=1)
    without_rating = [p.paper_id for p in _next_picks(reader, tomorrow)]
    at = _first_with_a_close_paper(first_digest, without_rating)
    liked = first_digest[at].paper
    more, _ = feedback_links()

    client.post(link_path(more[at]))
    # Tomorrow's window holds the papers the first digest had (as _next_picks').
    Digest.objects.update(covers_to=F("covers_from"))
    digest_send_batch(subscriber_ids=[reader.id], now=tomorrow)

    second = list(
        DigestItem.objects.filter(digest__subscriber=reader, digest__edition=tomorrow.date())
    )
    assert {i.paper_id for i in second} != set(without_rating)
    assert _closeness([i.paper_id for i in second], liked) > _closeness(without_rating, liked)


def test_it_moves_the_next_picks_away_from_a_disliked_paper(reader, first_digest):
    now = timezone.now()
    disliked = first_digest[1].paper
    before = [p.paper_id for p in _next_picks(reader, now)]

    rating_record(subscriber=reader, paper=disliked, value=-1)

    after = [p.paper_id for p in _next_picks(reader, now)]
    assert _closeness(after, disliked) < _closeness(before, disliked)


def test_it_forgets_an_undone_rating(reader, first_digest):
    now = timezone.now()
    before = _next_picks(reader, now)
    rating_record(subscriber=reader, paper=first_digest[0].paper, value=1)
    assert _next_picks(reader, now) != before

    Rating.objects.get().delete()

    assert _next_picks(reader, now) == before


def test_it_reads_all_ratings_of_a_batch_in_one_query(corpus, make_subscriber):
    readers = [make_subscriber(f"r{i}@example.org", ["language models"]) for i in range(5)]
    now = timezone.now()
    digest_send_batch(subscriber_ids=[r.id for r in readers], now=now)
    for reader in readers:
        for item in DigestItem.objects.filter(digest__subscriber=reader)[:2]:
            rating_record(subscriber=reader, paper=item.paper, value=1)
    subscribers = list(Subscriber.objects.prefetch_related("interests"))

    with CaptureQueriesContext(connection) as queries:
        selectors.recommendations_for(subscribers, now=now)

    rating_queries = [q for q in queries.captured_queries if "digest_rating" in q["sql"]]
    assert len(rating_queries) == 1


def test_it_lets_an_old_rating_pull_less_than_a_fresh_one(reader, first_digest):
    now = timezone.now()
    liked = first_digest[0].paper
    rating = rating_record(subscriber=reader, paper=liked, value=1)
    fresh = [p.paper_id for p in _next_picks(reader, now)]

    Rating.objects.filter(id=rating.id).update(created_at=now - timedelta(days=365))

    old = [p.paper_id for p in _next_picks(reader, now)]
    assert _closeness(old, liked) < _closeness(fresh, liked)


def test_it_reads_only_the_ratings_made_within_the_index_window(reader, first_digest):
    """Years of a reader's ratings of papers long out of the index are not read each day:
    a batch's ratings query costs a window of ratings, not the reader's whole history."""
    now = timezone.now()
    rating_record(subscriber=reader, paper=first_digest[0].paper, value=1)
    two_years_ago = now - timedelta(days=730)
    for n in range(30):
        old = Paper.objects.create(
            source="test", external_id=f"2211.{n:05d}", title=f"An old paper {n}", abstract="."
        )
        Paper.objects.filter(id=old.id).update(ingested_at=two_years_ago)
        Rating.objects.create(subscriber=reader, paper=old, value=1, created_at=two_years_ago)

    with CaptureQueriesContext(connection) as queries:
        _next_picks(reader, now)

    [ratings_query] = [q["sql"] for q in queries.captured_queries if "digest_rating" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(ratings_query)
        assert len(cursor.fetchall()) == 1


def test_papers_rated_before_any_digest_are_not_sent(reader):
    # As on the onboarding page: the reader rates papers their first digest would hold.
    picks = _next_picks(reader, timezone.now())
    liked, disliked = (Paper.objects.get(id=p.paper_id) for p in picks[:2])
    rating_record(subscriber=reader, paper=liked, value=1)
    rating_record(subscriber=reader, paper=disliked, value=-1)

    digest_send_batch(subscriber_ids=[reader.id], now=timezone.now())

    items = DigestItem.objects.filter(digest__subscriber=reader)
    assert items.exists()
    assert not items.filter(paper__in=[liked, disliked]).exists()
