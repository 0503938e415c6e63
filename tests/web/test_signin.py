import re

import pytest
from django.core import mail

from accounts import links
from accounts.models import AccountMail, Subscriber
from accounts.tokens import make_token


def link_in(message):
    return re.search(r"http://localhost:8000(/\w+/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_it_sends_to_the_sign_in_page_without_a_session(client):
    response = client.get("/account/")
    assert response.status_code == 302 and response.url == "/signin/"
    assert "Email me a sign-in link" in client.get("/signin/").content.decode()


@pytest.mark.django_db
def test_it_emails_a_single_use_sign_in_link(client, subscriber):
    response = client.post("/signin/", {"email": "Reader@Example.org"})
    assert "Check your inbox" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and "sign-in" in message.subject
    link = link_in(message)
    assert client.post(link).url == "/account/"
    assert "reader@example.org" in client.get("/account/").content.decode()
    client.post("/signout/")
    reused = client.post(link)
    assert reused.status_code == 400 and "already used" in reused.content.decode()
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_it_says_the_same_and_sends_nothing_for_an_unknown_address(client, subscriber):
    known = client.post("/signin/", {"email": "reader@example.org"}).content.decode()
    unknown = client.post("/signin/", {"email": "nobody@example.org"}).content.decode()
    assert known == unknown
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


@pytest.mark.django_db
def test_a_failed_send_without_a_broker_does_not_fail_the_request(client, subscriber, provider):
    """Tasks run in-process (no REDIS_URL, as in the demo): a send that failed is logged,
    and the reader gets the same page; the mail waits, claimed, as one that may have
    arrived."""
    provider.answer_next(500, accept=True)

    response = client.post("/signin/", {"email": "reader@example.org"})
    assert "Check your inbox" in response.content.decode()
    assert provider.received == {"reader@example.org": 1}
    assert AccountMail.objects.get().claimed_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["nobody", "x@localhost", "x@foo.invalid"])
def test_it_refuses_a_bad_address_and_sends_nothing(client, address):
    response = client.post("/signin/", {"email": address})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_sign_in_button_records_the_sign_in(client, subscriber, settings):
    path = links.signin_url(subscriber).removeprefix(settings.SITE_URL)
    assert client.post(path).url == "/account/"
    subscriber.refresh_from_db()
    assert subscriber.last_login_at is not None
    assert client.get("/account/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_an_expired_sign_in_link(client, subscriber, settings):
    settings.ACCOUNT_SIGNIN_MAX_AGE = -1
    response = client.get(links.signin_url(subscriber).removeprefix(settings.SITE_URL))
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", ["signin", "confirm"])
@pytest.mark.parametrize("nonce", [10**20, -(10**20), -1])
def test_a_link_with_a_nonce_no_sign_in_can_have_is_refused(client, subscriber, purpose, nonce):
    # Signed with the site's key, as only a leaked key would allow: still no server error.
    token = make_token(subscriber.id, purpose, n=nonce)
    for method in (client.get, client.post):
        response = method(f"/{purpose}/{token}/")
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_it_sends_a_new_confirmation_to_a_pending_address(client):
    Subscriber.objects.create(email="pending@example.org")
    client.post("/signin/", {"email": "pending@example.org"})
    [message] = mail.outbox
    assert "/confirm/" in message.body


@pytest.mark.django_db
def test_requests_for_someone_elses_address_do_not_lock_them_out(client, subscriber, settings):
    settings.ACCOUNT_RATE_PER_EMAIL = "3/h"
    for n in range(6):  # an attacker asks again and again, from different addresses
        client.post("/signin/", {"email": "reader@example.org"}, REMOTE_ADDR=f"10.0.0.{n}")
    assert len(mail.outbox) == 3
    own = client.post("/signin/", {"email": "reader@example.org"})
    assert own.status_code == 200
    assert "already sent" in own.content.decode() and "still works" in own.content.decode()
    assert len(mail.outbox) == 3
    assert client.post(link_in(mail.outbox[-1])).url == "/account/"


@pytest.mark.django_db
def test_it_limits_sign_in_requests_per_ip_address(client, subscriber, settings):
    settings.ACCOUNT_RATE_PER_IP = "1/h"
    client.post("/signin/", {"email": "reader@example.org"})
    refused = client.post("/signin/", {"email": "someone@example.org"})
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
    assert len(mail.outbox) == 1
