"""Links in account emails and digests are fetched by mail scanners (GET and HEAD): those
change nothing and leave the link usable; only the page's button (a POST) acts."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts import links
from accounts.models import Subscriber
from digest.services import digest_send_batch

pytestmark = pytest.mark.django_db


def path_of(url, settings):
    return url.removeprefix(settings.SITE_URL)


def signed_in_as(client):
    response = client.get("/account/")
    return response.status_code == 200 and response.context["subscriber"].email


@pytest.fixture
def pending(db):
    return Subscriber.objects.create(email="new@example.org")


@pytest.mark.parametrize(
    ("kind", "button"),
    [
        ("confirm", "Confirm my subscription"),
        ("signin", "Sign in"),
        ("settings", "Open my settings"),
    ],
)
def test_a_scanner_fetching_a_link_changes_nothing_and_the_reader_can_still_use_it(
    client, subscriber, pending, settings, kind, button
):
    reader = pending if kind == "confirm" else subscriber
    path = path_of(getattr(links, f"{kind}_url")(reader), settings)
    before = Subscriber.objects.values().get(id=reader.id)

    for _ in range(3):
        assert client.head(path).status_code == 200
        page = client.get(path)
        assert page.status_code == 200
        assert f">{button}</button>" in page.content.decode()
        assert 'method="post"' in page.content.decode()

    assert Subscriber.objects.values().get(id=reader.id) == before
    assert not signed_in_as(client)
    response = client.post(path)
    landing = "/account/start/" if kind == "confirm" else "/account/"  # papers to rate first
    assert response.status_code == 302 and response.url == landing
    assert signed_in_as(client) == reader.email


def test_the_confirmation_button_activates_the_subscriber(client, pending, settings):
    path = path_of(links.confirm_url(pending), settings)
    client.get(path)
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING and pending.confirmed_at is None

    response = client.post(path, follow=True)
    assert "Your subscription is confirmed" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE and pending.confirmed_at is not None


@pytest.mark.parametrize("kind", ["confirm", "signin"])
def test_a_used_single_use_link_says_so_on_get_and_post(client, subscriber, settings, kind):
    path = path_of(getattr(links, f"{kind}_url")(subscriber), settings)
    client.post(path)
    client.post("/signout/")
    for method in (client.get, client.post):
        again = method(path)
        assert again.status_code == 400 and "already used" in again.content.decode()
    assert not signed_in_as(client)


def test_the_digest_settings_link_keeps_working_after_signing_in_another_way(
    client, subscriber, settings
):
    settings_path = path_of(links.settings_url(subscriber), settings)
    client.post(path_of(links.signin_url(subscriber), settings))  # signed in another way
    client.post("/signout/")
    for _ in range(2):
        assert client.post(settings_path).url == "/account/"
        assert signed_in_as(client) == "reader@example.org"
        client.post("/signout/")


def test_the_digest_settings_link_expires(client, subscriber, settings):
    path = path_of(links.settings_url(subscriber), settings)
    settings.ACCOUNT_SETTINGS_LINK_MAX_AGE = -1
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 400 and "expired" in response.content.decode()
    assert not signed_in_as(client)


def test_the_settings_link_is_not_a_sign_in_link(client, subscriber, settings):
    token = links.settings_url(subscriber).split("/")[-2]
    for path in (f"/signin/{token}/", f"/confirm/{token}/"):
        assert client.post(path).status_code == 400
    assert not signed_in_as(client)


def test_the_digest_links_to_the_settings_not_to_a_sign_in(subscriber, papers, settings):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    [message] = mail.outbox
    assert f"{settings.SITE_URL}/settings/" in message.body
    assert "/signin/" not in message.body


@pytest.fixture
def settings_session(client, subscriber, settings):
    client.post(path_of(links.settings_url(subscriber), settings))
    return client


def test_a_settings_link_session_changes_settings(settings_session, subscriber):
    response = settings_session.post("/account/interests/", {"phrases": "robot learning"})
    assert response.status_code == 302
    assert subscriber.interests.filter(phrase="robot learning").exists()


def test_a_settings_link_session_cannot_export_or_delete(settings_session, subscriber):
    export = settings_session.get("/account/export/")
    assert export.status_code == 302 and export.url == "/signin/"
    assert "Content-Disposition" not in export
    deleted = settings_session.post("/account/delete/", follow=True)
    assert "sign in with a link we email you first" in deleted.content.decode()
    assert Subscriber.objects.filter(id=subscriber.id).exists()


def test_a_settings_link_session_is_told_to_sign_in_rather_than_offered_what_it_cannot_do(
    settings_session,
):
    page = settings_session.get("/account/").content.decode()
    # A "download" link would save the sign-in page it is sent to as a file, unexplained.
    assert "/account/export/" not in page
    assert "Delete my account" not in page and "Send a link to the new address" not in page
    for action in ("download your data", "move your mail", "delete your account"):
        assert f'To {action}, <a href="/signin/">sign in with a link we email you</a>' in page


def test_a_sign_in_link_after_a_settings_link_allows_export(settings_session, subscriber, settings):
    settings_session.post(path_of(links.signin_url(subscriber), settings))
    page = settings_session.get("/account/").content.decode()
    assert "/account/export/" in page and "Delete my account" in page
    export = settings_session.get("/account/export/")
    assert export.status_code == 200 and "Content-Disposition" in export
