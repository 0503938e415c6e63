import pytest

from accounts.models import Subscriber

GOOD = {
    "delivery": "weekly",
    "weekly_day": "4",
    "send_hour": "18",
    "timezone": "Europe/Berlin",
    "max_papers": "5",
}


@pytest.mark.django_db
def test_it_saves_frequency_hour_timezone_and_size(signed_in, subscriber):
    response = signed_in.post("/account/delivery/", GOOD, follow=True)
    assert "Delivery settings saved." in response.content.decode()
    assert "weekly, on Fridays, 18:00 Europe/Berlin" in response.content.decode()
    subscriber.refresh_from_db()
    assert (
        subscriber.frequency,
        subscriber.weekly_day,
        subscriber.send_hour,
        subscriber.timezone,
        subscriber.max_papers,
        subscriber.status,
    ) == ("weekly", 4, 18, "Europe/Berlin", 5, Subscriber.Status.ACTIVE)


@pytest.mark.django_db
def test_it_pauses_and_resumes(signed_in, subscriber):
    signed_in.post("/account/delivery/", {**GOOD, "delivery": "paused"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED
    assert 'value="paused" selected' in signed_in.get("/account/").content.decode()
    signed_in.post("/account/delivery/", {**GOOD, "delivery": "daily"})
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.frequency) == (Subscriber.Status.ACTIVE, "daily")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "not a time zone or a city we know"),
        ("send_hour", "24", "less than or equal to 23"),
        ("max_papers", "0", "greater than or equal to 1"),
        ("max_papers", "-5", "greater than or equal to 1"),
        ("max_papers", "500", "less than or equal to 50"),
        ("delivery", "hourly", "Select a valid choice"),
    ],
)
def test_it_refuses_bad_values_and_changes_nothing(signed_in, subscriber, field, value, message):
    response = signed_in.post("/account/delivery/", {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.send_hour, subscriber.timezone) == ("daily", 7, "UTC")
    assert subscriber.max_papers == 10


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["unsubscribed", "bounced"])
def test_it_restarts_the_digest_of_someone_who_left(signed_in, subscriber, status):
    subscriber.status = status
    subscriber.save()
    page = signed_in.get("/account/").content.decode()
    assert "We send you nothing at the moment" in page
    assert 'value="paused" selected' in page
    signed_in.post("/account/delivery/", {**GOOD, "delivery": "paused"})
    subscriber.refresh_from_db()
    assert subscriber.status == status
    signed_in.post("/account/delivery/", GOOD)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_it_suggests_time_zone_names_as_the_reader_types(signed_in):
    page = signed_in.get("/account/").content.decode()
    assert 'list="timezones"' in page
    assert '<option value="Europe/Berlin">' in page
    assert '<option value="America/Argentina/Buenos_Aires">' in page


@pytest.mark.django_db
@pytest.mark.parametrize("weekday", ["5", "9", ""])
def test_the_weekday_is_ignored_unless_weekly(signed_in, subscriber, weekday):
    subscriber.weekly_day = 3
    subscriber.save()
    response = signed_in.post(
        "/account/delivery/", {**GOOD, "delivery": "daily", "weekly_day": weekday}
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.weekly_day, subscriber.send_hour) == ("daily", 3, 18)
    page = signed_in.get("/account/").content.decode()
    assert 'data-show-when="delivery=weekly"' in page


@pytest.mark.django_db
def test_a_city_name_is_enough_for_the_time_zone(signed_in, subscriber):
    signed_in.post("/account/delivery/", {**GOOD, "timezone": "tokyo"})
    subscriber.refresh_from_db()
    assert subscriber.timezone == "Asia/Tokyo"
