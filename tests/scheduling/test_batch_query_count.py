"""Sending a batch costs the same few queries whatever its size.

SQLite caps a statement at 999 parameters, so Django splits bigger bulk inserts there;
readers get 3 papers each to stay under it (PostgreSQL inserts any batch in one statement).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from scheduling_clock import NOW

from digest import selectors, services


def _queries_to_send(ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = services.digest_send_batch(subscriber_ids=ids, now=NOW)
    assert result.sent == len(ids)
    return len(queries)


@pytest.mark.parametrize("interests_each", [2, 6])
def test_it_costs_the_same_fixed_queries_whatever_the_batch_size(
    corpus, make_subscriber, interests_each, django_assert_max_num_queries, mailoutbox
):
    phrases = [
        "speech recognition", "diffusion", "robot learning", "scaling laws",
        "protein folding", "low-rank adaptation",
    ][:interests_each]  # fmt: skip
    readers = [
        make_subscriber(f"r{i}@example.org", phrases, send_hour=0, max_papers=3) for i in range(40)
    ]
    ids = [r.id for r in readers]
    selectors.corpus()  # the stored index is loaded once per process, not per batch

    small = _queries_to_send(ids[:2])
    large = _queries_to_send(ids[2:30])

    assert small == large
    with django_assert_max_num_queries(small):
        services.digest_send_batch(subscriber_ids=ids, now=NOW.replace(day=24))
    assert len(mailoutbox) == 30 + 40
    # Readers, interests; claim: savepoint, insert digests, read stale claims, claim,
    # release, read claims, clear stale items; rank: previous editions, papers newer than
    # the index, papers already sent, ratings; record: insert items, read their papers,
    # newest paper, outcomes (and one more UPDATE when some digests have no paper to send).
    assert small == 17
