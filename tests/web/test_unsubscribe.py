import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import links
from accounts.models import Subscriber
from digest.services import digest_send_batch


def path_of(url, settings):
    return url.removeprefix(settings.SITE_URL)


def status_of(subscriber):
    subscriber.refresh_from_db()
    return subscriber.status


@pytest.mark.django_db
def test_the_link_unsubscribes_in_one_click_without_signing_in(client, subscriber, settings):
    response = client.get(path_of(links.unsubscribe_url(subscriber), settings))
    page = response.content.decode()
    assert response.status_code == 200
    assert "You are unsubscribed" in page
    assert "Pause instead" in page and "Subscribe again" in page
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED
    assert client.get(path_of(links.unsubscribe_url(subscriber), settings)).status_code == 200


@pytest.mark.django_db
def test_the_mail_client_one_click_post_needs_no_csrf_token(subscriber, papers, settings):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        path_of(url, settings), "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db
def test_the_page_offers_to_pause_instead(client, subscriber, settings):
    token = links.unsubscribe_url(subscriber).split("/")[-2]
    client.get(f"/unsubscribe/{token}/")
    response = client.post(f"/unsubscribe/{token}/change/", {"to": "paused"})
    assert "Your digest is paused" in response.content.decode()
    assert status_of(subscriber) == Subscriber.Status.PAUSED


@pytest.mark.django_db
def test_the_page_offers_to_subscribe_again(client, subscriber, settings):
    token = links.unsubscribe_url(subscriber).split("/")[-2]
    client.get(f"/unsubscribe/{token}/")
    response = client.post(f"/unsubscribe/{token}/change/", {"to": "active"})
    assert "Welcome back" in response.content.decode()
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_changing_your_mind_needs_the_page_csrf_token(subscriber):
    token = links.unsubscribe_url(subscriber).split("/")[-2]
    client = Client(enforce_csrf_checks=True)
    client.get(f"/unsubscribe/{token}/")
    response = client.post(f"/unsubscribe/{token}/change/", {"to": "active"})
    assert response.status_code == 403
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_borrowed_token_changes_nothing(client, subscriber, method):
    borrowed = links.confirm_url(subscriber).split("/")[-2]
    for token in ["garbage", borrowed, borrowed[:-2] + "xx"]:
        response = getattr(client, method)(f"/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
        response = client.post(f"/unsubscribe/{token}/change/", {"to": "paused"})
        assert response.status_code == 400
    assert status_of(subscriber) == Subscriber.Status.ACTIVE
