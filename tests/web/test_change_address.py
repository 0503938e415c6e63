"""A reader moves their digests to a new address, proven by a link sent there."""

import pytest
from django.core import mail
from django.core.signing import TimestampSigner

from accounts import links
from accounts.models import Subscriber
from tests.web.test_signin import link_in

NEW = "reader@new-lab.example"


def request_change(client, email=NEW):
    return client.post("/account/email/", {"email": email})


@pytest.fixture
def change_link(signed_in):
    request_change(signed_in)
    [message] = mail.outbox
    mail.outbox.clear()
    return link_in(message)


@pytest.mark.django_db
def test_a_link_goes_to_the_new_address_and_nothing_changes_until_it_is_used(signed_in, subscriber):
    response = request_change(signed_in, "reader@New-Lab.EXAMPLE")
    assert response.status_code == 302
    assert f"We sent a link to {NEW}" in signed_in.get("/account/").content.decode()
    [message] = mail.outbox
    assert message.to == [NEW] and "/email/" in message.body
    assert "reader@example.org" in message.body  # whose account asks
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org"


@pytest.mark.django_db
def test_mail_scanners_opening_the_link_change_nothing(client, subscriber, change_link):
    for method in (client.get, client.head):
        assert method(change_link).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org"
    assert "Send my digests here" in client.get(change_link).content.decode()


@pytest.mark.django_db
def test_the_button_moves_the_mail_and_tells_the_old_address(client, subscriber, change_link):
    response = client.post(change_link)
    assert response.url == "/account/"
    subscriber.refresh_from_db()
    assert subscriber.email == NEW
    assert f"Your digests now go to {NEW}" in client.get("/account/").content.decode()
    [notice] = mail.outbox
    assert notice.to == ["reader@example.org"]
    assert "r•••@new-lab.example" in notice.body and NEW not in notice.body
    client.post("/signout/")
    client.post("/signin/", {"email": NEW})
    assert mail.outbox[-1].to == [NEW]  # sign-in links follow the address


@pytest.mark.django_db
def test_the_link_works_once(client, subscriber, change_link):
    client.post(change_link)
    again = client.post(change_link)
    assert again.status_code == 400 and "already used" in again.content.decode()


@pytest.mark.django_db
def test_signing_in_again_first_keeps_the_link_working(client, subscriber, change_link):
    client.post("/signout/")
    client.post("/signin/", {"email": "reader@example.org"})
    assert client.post(link_in(mail.outbox.pop())).url == "/account/"

    page = client.get(change_link)
    assert "Send my digests here" in page.content.decode()
    assert client.post(change_link).url == "/account/"
    subscriber.refresh_from_db()
    assert subscriber.email == NEW


@pytest.mark.django_db
def test_sign_in_links_sent_to_the_old_address_stop_working(client, subscriber, change_link):
    client.post("/signin/", {"email": "reader@example.org"})
    old_address_link = link_in(mail.outbox.pop())
    client.post(change_link)
    client.post("/signout/")
    refused = client.post(old_address_link)
    assert refused.status_code == 400 and "already used" in refused.content.decode()


@pytest.mark.django_db
def test_a_forged_or_expired_link_changes_nothing(client, subscriber, settings, change_link):
    token = change_link.split("/")[2]
    forged = TimestampSigner(salt="accounts.email").sign_object(
        {"s": subscriber.id, "n": 0, "e": "thief@example.org"}
    )
    assert client.post(f"/email/{forged}x/").status_code == 400
    assert client.post(f"/email/{token[:-3]}abc/").status_code == 400
    settings.ACCOUNT_CONFIRM_MAX_AGE = -1
    expired = client.post(change_link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org" and mail.outbox == []


@pytest.mark.django_db
def test_an_address_with_its_own_subscription_is_refused_and_the_link_kept(
    client, subscriber, change_link
):
    other = Subscriber.objects.create(email="READER@new-lab.example")
    refused = client.post(change_link)
    assert refused.status_code == 400
    assert "has a subscription of its own" in refused.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org" and mail.outbox == []
    other.delete()
    assert client.post(change_link).url == "/account/"  # not used up by the refusal
    subscriber.refresh_from_db()
    assert subscriber.email == NEW


@pytest.mark.django_db
def test_a_bounced_reader_gets_digests_again_at_the_new_address(client, subscriber, change_link):
    Subscriber.objects.filter(id=subscriber.id).update(
        status=Subscriber.Status.BOUNCED, status_reason="bounced: mailbox unknown"
    )
    client.post(change_link)
    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.status, subscriber.status_reason) == (NEW, "active", "")


@pytest.mark.django_db
def test_a_paused_reader_stays_paused(client, subscriber, change_link):
    Subscriber.objects.filter(id=subscriber.id).update(status=Subscriber.Status.PAUSED)
    client.post(change_link)
    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.status) == (NEW, "paused")


@pytest.mark.django_db
def test_a_settings_link_session_cannot_move_the_mail(client, subscriber, settings):
    client.post(links.settings_url(subscriber).removeprefix(settings.SITE_URL))
    response = request_change(client)
    assert response.status_code == 302 and mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email, message",
    [
        ("not an address", "Enter a valid email address."),
        ("", "Enter your email address."),
        ("READER@example.org", "That is your address already."),
    ],
)
def test_a_bad_or_same_address_gets_a_message_and_sends_nothing(signed_in, email, message):
    response = request_change(signed_in, email)
    assert response.status_code == 400 and message in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_link_requests_are_limited_per_new_address(signed_in, settings):
    settings.ACCOUNT_RATE_PER_EMAIL = "2/h"
    for _ in range(2):
        assert request_change(signed_in).status_code == 302
    refused = request_change(signed_in)
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
    assert len(mail.outbox) == 2
