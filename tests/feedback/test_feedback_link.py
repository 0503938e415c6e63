import re
import time

import pytest
from django.core import signing
from django.test import Client

from accounts.links import feedback_urls, unsubscribe_url
from accounts.tokens import make_token
from digest.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def more_link(subscriber, paper, link_path):
    more, _ = feedback_urls(subscriber, [paper])[0]
    return link_path(more)


def test_it_opens_a_page_with_one_button_and_records_nothing_on_get(client, more_link, paper):
    response = client.get(more_link)

    assert response.status_code == 200
    page = response.content.decode()
    assert paper.title in page
    assert page.count('type="submit"') == 1
    assert 'method="post"' in page
    assert not Rating.objects.exists()


def test_it_ignores_a_mail_scanner_fetching_the_link_several_times(client, more_link):
    for _ in range(3):
        assert client.get(more_link).status_code == 200
        assert client.head(more_link).status_code == 200

    assert not Rating.objects.exists()


def test_it_records_through_the_page_with_csrf_checks_on(more_link):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(more_link).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    browser.post(more_link, {"csrfmiddlewaretoken": csrf})

    assert Rating.objects.get().value == 1


def test_it_records_the_rating_when_the_button_is_pressed(client, more_link, subscriber, paper):
    response = client.post(more_link, follow=True)

    rating = Rating.objects.get()
    assert (rating.subscriber, rating.paper, rating.value) == (subscriber, paper, 1)
    assert "Your next digest takes it into account" in response.content.decode()
    assert "Undo" in response.content.decode()


def test_it_counts_the_same_click_twice_once(client, more_link):
    client.post(more_link)
    first = Rating.objects.get()

    client.post(more_link)

    again = Rating.objects.get()
    assert (again.id, again.value, again.created_at) == (first.id, 1, first.created_at)


def test_it_replaces_a_rating_when_the_reader_changes_their_mind(
    client, subscriber, paper, link_path
):
    more, less = feedback_urls(subscriber, [paper])[0]
    client.post(link_path(more))
    less_link = link_path(less)

    page = client.get(less_link).content.decode()
    client.post(less_link)

    assert "You asked for more like this earlier; this replaces it." in page
    assert list(Rating.objects.values_list("value", flat=True)) == [-1]


def test_it_undoes_the_rating_from_the_page(client, more_link):
    client.post(more_link)

    response = client.post(more_link + "undo/")

    assert response.status_code == 200
    assert "Your rating was removed" in response.content.decode()
    assert not Rating.objects.exists()
    again = client.post(more_link + "undo/")  # nothing left to remove: it says nothing of it
    assert again.status_code == 200 and "Your rating was removed" not in again.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_a_forged_link_and_records_nothing(client, more_link, method):
    forged = more_link.replace("/feedback/", "/feedback/x")

    response = getattr(client, method)(forged)

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert "Nothing was recorded" in response.content.decode()
    assert not Rating.objects.exists()


def test_it_refuses_a_link_signed_for_another_paper_by_tampering(
    client, subscriber, paper, link_path
):
    token = signing.dumps(
        {"s": subscriber.id, "p": paper.id, "v": 1}, salt="not-the-feedback-salt", compress=True
    )

    response = client.post(f"/feedback/{token}/")

    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_it_refuses_an_unsubscribe_link_used_as_feedback(client, subscriber, link_path):
    token = link_path(unsubscribe_url(subscriber)).rstrip("/").rsplit("/", 1)[-1]

    response = client.post(f"/feedback/{token}/")

    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_it_refuses_an_expired_link_and_records_nothing(client, more_link, settings, monkeypatch):
    later = time.time() + settings.FEEDBACK_LINK_MAX_AGE + 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)

    response = client.post(more_link)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Rating.objects.exists()


def test_it_accepts_a_link_a_month_old(client, more_link, monkeypatch):
    later = time.time() + 30 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)

    client.post(more_link)

    assert Rating.objects.count() == 1


def test_it_explains_a_link_to_a_paper_that_was_removed(client, more_link, paper):
    paper.delete()

    response = client.post(more_link)

    assert response.status_code == 400
    assert "removed" in response.content.decode()
    assert not Rating.objects.exists()


def test_it_still_records_a_link_from_an_older_digest_with_the_rating_in_the_token(
    client, subscriber, paper
):
    token = make_token(subscriber.id, "feedback", p=paper.id, v=-1)

    page = client.get(f"/feedback/{token}/").content.decode()
    client.post(f"/feedback/{token}/")

    assert "Less like this" in page
    assert Rating.objects.get().value == -1


def test_it_refuses_a_link_that_names_no_rating(client, subscriber, paper):
    token = make_token(subscriber.id, "feedback", p=paper.id)

    response = client.post(f"/feedback/{token}/")

    assert response.status_code == 400
    assert not Rating.objects.exists()
