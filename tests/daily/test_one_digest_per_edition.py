from datetime import date

import pytest
from django.db import IntegrityError, transaction

from digest.models import Digest


def test_it_refuses_a_second_digest_for_the_same_subscriber_and_edition(make_subscriber):
    subscriber = make_subscriber("a@example.org", ["speech"])
    Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 23))

    with pytest.raises(IntegrityError), transaction.atomic():
        Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 23))

    Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 24))
    assert Digest.objects.count() == 2
