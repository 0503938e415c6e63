import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import links
from accounts.models import Subscriber
from digest.services import digest_send_batch

ONE_CLICK = "List-Unsubscribe=One-Click"


def path_of(url, settings):
    return url.removeprefix(settings.SITE_URL)


def status_of(subscriber):
    subscriber.refresh_from_db()
    return subscriber.status


def one_click(client, path):
    return client.post(path, ONE_CLICK, "application/x-www-form-urlencoded")


@pytest.fixture
def unsubscribe_path(subscriber, settings):
    return path_of(links.unsubscribe_url(subscriber), settings)


@pytest.mark.django_db
def test_opening_the_link_changes_nothing_and_offers_choices(client, subscriber, unsubscribe_path):
    assert client.head(unsubscribe_path).status_code == 200
    response = client.get(unsubscribe_path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unsubscribe?" in page
    for button in (
        ">Unsubscribe</button>",
        ">Weekly instead, on Mondays</button>",
        ">Pause</button>",
    ):
        assert button in page
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_the_page_masks_the_address(client, subscriber, unsubscribe_path):
    for response in (client.get(unsubscribe_path), one_click(client, unsubscribe_path)):
        page = response.content.decode()
        assert "reader@example.org" not in page
        assert "r•••@example.org" in page


@pytest.mark.django_db
def test_the_unsubscribe_button_unsubscribes_without_signing_in(client, subscriber, settings):
    path = path_of(links.unsubscribe_url(subscriber), settings)
    response = one_click(client, path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "You are unsubscribed" in page
    assert "Pause instead" in page and "Subscribe again" in page
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED
    assert client.get("/account/").status_code == 302
    assert one_click(client, path).status_code == 200


@pytest.mark.django_db
def test_a_post_without_the_one_click_body_changes_nothing(client, subscriber, unsubscribe_path):
    assert client.post(unsubscribe_path, {"other": "x"}).status_code == 200
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_the_mail_client_one_click_post_needs_no_csrf_token(subscriber, papers, settings):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == ONE_CLICK
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    response = one_click(Client(enforce_csrf_checks=True), path_of(url, settings))
    assert response.status_code == 200
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db
def test_the_page_offers_weekly_instead(client, subscriber, unsubscribe_path):
    client.get(unsubscribe_path)
    response = client.post(f"{unsubscribe_path}change/", {"to": "weekly"})
    assert "From now on your digest comes weekly, on Mondays." in response.content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.frequency) == ("active", "weekly")


@pytest.mark.django_db
def test_the_page_offers_to_pause_and_says_it_once(client, subscriber, unsubscribe_path):
    client.get(unsubscribe_path)
    response = client.post(f"{unsubscribe_path}change/", {"to": "paused"})
    page = response.content.decode()
    assert page.count("is paused") == 1
    assert status_of(subscriber) == Subscriber.Status.PAUSED
    page = client.get(unsubscribe_path).content.decode()
    assert "Unsubscribe for good" in page and "Resume my digest" in page
    resumed = client.post(f"{unsubscribe_path}change/", {"to": "active"})
    assert "Welcome back" in resumed.content.decode()
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_the_page_offers_to_subscribe_again(client, subscriber, unsubscribe_path):
    one_click(client, unsubscribe_path)
    response = client.post(f"{unsubscribe_path}change/", {"to": "active"})
    assert "Welcome back" in response.content.decode()
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_changing_your_mind_needs_the_page_csrf_token(subscriber, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    one_click(client, unsubscribe_path)
    response = client.post(f"{unsubscribe_path}change/", {"to": "active"})
    assert response.status_code == 403
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_borrowed_token_changes_nothing(client, subscriber, method):
    borrowed = links.confirm_url(subscriber).split("/")[-2]
    for token in ["garbage", borrowed, borrowed[:-2] + "xx"]:
        response = getattr(client, method)(
            f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
        response = client.post(f"/unsubscribe/{token}/change/", {"to": "paused"})
        assert response.status_code == 400
    assert status_of(subscriber) == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_a_bounced_address_stays_bounced_and_the_page_says_how_to_get_digests_again(
    client, subscriber, unsubscribe_path
):
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.BOUNCED)
    page = one_click(client, unsubscribe_path).content.decode()
    assert status_of(subscriber) == Subscriber.Status.BOUNCED
    assert "bounced" in page and "sign in" in page
    assert "Weekly instead" not in page and "Subscribe again" not in page
    # What the page offered an unsubscribed reader turns nothing back on.
    for choice in ("active", "weekly", "paused"):
        refused = client.post(f"{unsubscribe_path}change/", {"to": choice})
        assert refused.status_code == 400 and "sign in with a link" in refused.content.decode()
    assert status_of(subscriber) == Subscriber.Status.BOUNCED


@pytest.mark.django_db
@pytest.mark.parametrize("posted", [{}, {"to": "daily"}, {"to": "bounced"}])
def test_a_choice_the_page_does_not_offer_changes_nothing(
    client, subscriber, unsubscribe_path, posted
):
    one_click(client, unsubscribe_path)
    response = client.post(f"{unsubscribe_path}change/", posted)
    assert response.status_code == 400
    assert "Choose weekly, pause or subscribe again" in response.content.decode()
    assert status_of(subscriber) == Subscriber.Status.UNSUBSCRIBED
