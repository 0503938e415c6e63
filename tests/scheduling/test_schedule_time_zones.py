"""Who the hourly tick picks, and for which edition, across time zones."""

from datetime import UTC, date, datetime, time, timedelta

from scheduling_clock import NOW

from digest import selectors, services
from digest.models import Digest

MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)


def _tick(at):
    """What one beat tick does, batches run in order: returns {email: edition} sent."""
    run, batches = services.digest_start_run(now=at)
    for ids in batches:
        services.digest_send_batch(subscriber_ids=ids, now=at)
    sent = Digest.objects.filter(status=Digest.Status.SENT, sent_at__isnull=False)
    return {d.subscriber.email: d.edition for d in sent.select_related("subscriber")}


def test_it_sends_each_reader_the_edition_of_their_local_date_once_their_hour_has_come(
    corpus, make_subscriber, mailoutbox
):
    # NOW is Monday 12:15 UTC.
    make_subscriber("tokyo@example.org", timezone="Asia/Tokyo", send_hour=7)  # Mon 21:15
    make_subscriber("ny@example.org", timezone="America/New_York", send_hour=7)  # Mon 07:15
    make_subscriber("ny-late@example.org", timezone="America/New_York", send_hour=8)
    make_subscriber("kiritimati@example.org", timezone="Pacific/Kiritimati", send_hour=2)  # Tue
    make_subscriber("kiritimati-late@example.org", timezone="Pacific/Kiritimati", send_hour=3)
    make_subscriber("pago@example.org", timezone="Pacific/Pago_Pago", send_hour=1)  # Mon 01:15

    assert _tick(NOW) == {
        "tokyo@example.org": MONDAY,
        "ny@example.org": MONDAY,
        "kiritimati@example.org": TUESDAY,
        "pago@example.org": MONDAY,
    }
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        ["tokyo@example.org", "ny@example.org", "kiritimati@example.org", "pago@example.org"]
    )


def test_it_sends_weekly_readers_only_on_their_local_weekday(corpus, make_subscriber, mailoutbox):
    make_subscriber("monday@example.org", frequency="weekly", weekly_day=0, send_hour=7)
    make_subscriber("tuesday@example.org", frequency="weekly", weekly_day=1, send_hour=7)
    # Already Tuesday 02:15 on the date line at NOW.
    make_subscriber(
        "kiritimati-tuesday@example.org",
        timezone="Pacific/Kiritimati",
        frequency="weekly",
        weekly_day=1,
        send_hour=1,
    )

    assert _tick(NOW) == {"monday@example.org": MONDAY, "kiritimati-tuesday@example.org": TUESDAY}
    assert len(mailoutbox) == 2


def test_it_makes_up_a_missed_tick_later_the_same_day_and_sends_only_once(
    corpus, make_subscriber, mailoutbox
):
    make_subscriber("utc7@example.org", send_hour=7)
    seven = NOW.replace(hour=7)

    assert _tick(seven - timedelta(hours=1)) == {}  # 06:15, not yet
    # The 07:15 and 08:15 ticks never ran; the 09:15 one makes up for them.
    assert _tick(seven + timedelta(hours=2)) == {"utc7@example.org": MONDAY}
    assert selectors.subscribers_due(now=seven + timedelta(hours=3)) == []
    _tick(seven + timedelta(hours=3))
    assert len(mailoutbox) == 1


def test_a_daylight_saving_change_neither_skips_nor_repeats_a_digest(
    corpus, make_subscriber, mailoutbox
):
    # Berlin at 02:00: on 28 March 2027 that hour does not exist (01:00 UTC is 03:00
    # CEST); on 31 October 2027 it comes twice (00:15 UTC and 01:15 UTC are both 02:15).
    make_subscriber("berlin@example.org", timezone="Europe/Berlin", send_hour=2)
    spring, autumn = date(2027, 3, 28), date(2027, 10, 31)

    def at(day, hour):
        return datetime.combine(day, time(hour, 15), tzinfo=UTC)

    def editions():
        return sorted(Digest.objects.values_list("edition", flat=True))

    _tick(at(spring, 0))  # 01:15 CET
    assert editions() == []
    _tick(at(spring, 1))  # 03:15 CEST
    assert editions() == [spring]
    _tick(at(autumn, 0))  # the first 02:15 (no paper is newer than spring's: skipped)
    assert editions() == [spring, autumn]
    assert selectors.subscribers_due(now=at(autumn, 1)) == []  # the second 02:15
    _tick(at(autumn, 1))
    assert editions() == [spring, autumn] and len(mailoutbox) == 1


def test_it_cuts_the_due_readers_into_batches_of_the_configured_size(
    corpus, make_subscriber, settings
):
    settings.DIGEST_BATCH_SIZE = 2
    readers = [make_subscriber(f"r{i}@example.org", send_hour=0) for i in range(5)]
    make_subscriber("paused@example.org", send_hour=0, status="paused")

    run, batches = services.digest_start_run(now=NOW)

    assert run.due == 5
    assert batches == [[r.id for r in readers[:2]], [r.id for r in readers[2:4]], [readers[4].id]]


def test_a_reader_who_moves_their_time_zone_west_after_a_digest_gets_no_second_one_that_day(
    corpus, make_subscriber, mailoutbox
):
    reader = make_subscriber("mover@example.org", send_hour=0)
    four = NOW.replace(hour=4)  # Monday 04:15 UTC: Sunday 20:15 in Los Angeles
    assert _tick(four) == {"mover@example.org": MONDAY}

    reader.timezone = "America/Los_Angeles"
    reader.save(update_fields=["timezone"])

    assert selectors.subscribers_due(now=four + timedelta(minutes=5)) == []
    _tick(four + timedelta(minutes=5))
    assert Digest.objects.count() == 1 and len(mailoutbox) == 1
    # The next one comes at their hour of their next day.
    assert selectors.subscribers_due(now=NOW.replace(day=24, hour=8)) == [reader.id]


def test_a_weekly_reader_whose_hour_was_missed_gets_that_weeks_digest_within_a_day(
    corpus, make_subscriber, mailoutbox
):
    # Monday 23:00 UTC; the 23:15 tick never ran.
    reader = make_subscriber("weekly@example.org", frequency="weekly", weekly_day=0, send_hour=23)
    tuesday_early = datetime.combine(TUESDAY, time(0, 15), tzinfo=UTC)

    assert _tick(tuesday_early) == {"weekly@example.org": TUESDAY}
    assert selectors.subscribers_due(now=tuesday_early + timedelta(hours=22)) == []
    assert len(mailoutbox) == 1
    # Next Monday as usual.
    assert selectors.subscribers_due(now=tuesday_early + timedelta(days=6, hours=23)) == [reader.id]


def test_a_weekly_reader_is_due_only_in_the_day_after_their_hour(corpus, make_subscriber):
    # Monday 07:00 UTC; Wednesday's reader subscribed after their hour had passed.
    reader = make_subscriber("weekly@example.org", frequency="weekly", weekly_day=0, send_hour=7)
    tuesday = datetime.combine(TUESDAY, time(6, 15), tzinfo=UTC)

    assert selectors.subscribers_due(now=tuesday) == [reader.id]
    assert selectors.subscribers_due(now=tuesday + timedelta(hours=1)) == []
    assert selectors.subscribers_due(now=tuesday + timedelta(days=1)) == []
