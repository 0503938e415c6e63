"""Sending a batch costs a fixed number of queries plus a few per group of messages.

A group is a quarter of ``DIGEST_SEND_CONCURRENCY`` messages: one UPDATE fences it (claimed ->
sending) just before it is sent, in a transaction of its own (committed durably: on
PostgreSQL a SET LOCAL before it), and one transaction records the outcomes answered
meanwhile (an UPDATE per kind of outcome, here all "sent", and the run's counters when
there is a run). Transactions are SAVEPOINT/RELEASE in these tests, BEGIN/COMMIT in
production. With the default 64, a batch of 500 is 32 groups: about 130-200 statements
more than a batch of one, against ~1,000 for a statement per message sent.

SQLite caps a statement at 999 parameters, so Django splits bigger bulk inserts there;
readers get 3 papers each to stay under it (PostgreSQL inserts any batch in one statement).
"""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from scheduling_clock import NOW

from digest import selectors, services

FIXED = 17
"""Readers, interests; claim: savepoint, insert digests, settle interrupted ones, claim,
release, read claims, clear stale items; rank: previous editions, papers newer than the
index, papers already sent, ratings; insert items, read their papers, the dates each
digest covers, the newest paper (to tell "no new papers" from "none matched")."""


def _queries_to_send(ids, now=NOW) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = services.digest_send_batch(subscriber_ids=ids, now=now)
    assert result.sent == len(ids)
    return len(queries)


@pytest.mark.parametrize("interests_each", [2, 6])
def test_it_costs_fixed_queries_and_at_most_six_per_group_of_messages(
    corpus, make_subscriber, interests_each, mailoutbox, settings
):
    settings.DIGEST_SEND_CONCURRENCY = 16  # groups of 4
    phrases = [
        "speech recognition", "diffusion", "robot learning", "scaling laws",
        "protein folding", "low-rank adaptation",
    ][:interests_each]  # fmt: skip
    readers = [
        make_subscriber(f"r{i}@example.org", phrases, send_hour=0, max_papers=3) for i in range(40)
    ]
    ids = [r.id for r in readers]
    selectors.corpus()  # the stored index is loaded once per process, not per batch

    one_group = _queries_to_send(ids[:2])
    seven_groups = _queries_to_send(ids[2:30])
    ten_groups = _queries_to_send(ids, now=NOW.replace(day=24))

    assert one_group == FIXED + 3 + 3  # a fence and a record: savepoint, update, release
    assert FIXED + 7 * 3 + 3 <= seven_groups <= FIXED + 6 * math.ceil(28 / 4)
    assert FIXED + 10 * 3 + 3 <= ten_groups <= FIXED + 6 * math.ceil(40 / 4)
    assert len(mailoutbox) == 30 + 40
