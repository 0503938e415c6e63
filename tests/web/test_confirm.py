import re

import pytest
from django.core import mail

from accounts import links, services
from accounts.models import Subscriber


def confirmation_link():
    [message] = mail.outbox
    return re.search(r"http://localhost:8000(/confirm/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_it_activates_the_subscriber_and_offers_papers_to_rate_first(client, papers):
    client.post("/", {"email": "new@example.org", "interests": "speech recognition", "website": ""})
    response = client.post(confirmation_link(), follow=True)
    assert response.redirect_chain[-1][0] == "/account/start/"
    page = response.content.decode()
    assert "Your subscription is confirmed" in page
    assert "Make your first digest fit" in page
    assert page.count("More like this") >= 3
    subscriber = Subscriber.objects.get(email="new@example.org")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None


@pytest.mark.django_db
def test_it_refuses_a_link_used_before(client):
    client.post("/", {"email": "new@example.org", "interests": "protein folding", "website": ""})
    link = confirmation_link()
    client.post(link)
    client.post("/signout/")
    again = client.post(link)
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_it_refuses_an_expired_link_and_changes_nothing(client, settings):
    subscriber = Subscriber.objects.create(email="new@example.org")
    settings.ACCOUNT_CONFIRM_MAX_AGE = -1
    response = client.get(links.confirm_url(subscriber).removeprefix(settings.SITE_URL))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert "Email me a sign-in link" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", ["forged", "unsubscribe", "signin"])
def test_it_refuses_forged_or_borrowed_tokens(client, purpose):
    subscriber = Subscriber.objects.create(email="new@example.org")
    if purpose == "forged":
        token = links.confirm_url(subscriber).split("/")[-2][:-3] + "abc"
    else:
        token = getattr(links, f"{purpose}_url")(subscriber).split("/")[-2]
    response = client.get(f"/confirm/{token}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["paused", "unsubscribed", "bounced"])
def test_subscribing_again_restarts_a_digest_that_was_stopped(client, status):
    subscriber = Subscriber.objects.create(email="back@example.org", status=status)
    client.post("/", {"email": "back@example.org", "interests": "robots", "website": ""})
    [message] = mail.outbox
    assert "already" in message.body
    client.post(confirmation_link())
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert not subscriber.interests.exists()  # a known address keeps its own interests


@pytest.mark.django_db
def test_a_reader_subscribing_again_is_welcomed_back_to_their_account_as_it_was(client, papers):
    client.post(
        "/", {"email": "back@example.org", "interests": "speech recognition", "website": ""}
    )
    client.post(confirmation_link())
    client.post("/signout/")
    Subscriber.objects.filter(email="back@example.org").update(status="unsubscribed")
    mail.outbox.clear()

    client.post("/", {"email": "back@example.org", "interests": "knitting", "website": ""})
    response = client.post(confirmation_link(), follow=True)

    assert response.redirect_chain[-1][0] == "/account/"
    page = response.content.decode()
    assert "Welcome back: your digest is on again, with the interests you had." in page
    assert "Your subscription is confirmed" not in page
    subscriber = Subscriber.objects.get(email="back@example.org")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert list(subscriber.interests.values_list("phrase", flat=True)) == ["speech recognition"]


@pytest.mark.django_db
def test_a_link_that_expires_as_it_is_used_still_welcomes_the_reader(
    client, papers, settings, monkeypatch
):
    client.post("/", {"email": "new@example.org", "interests": "speech recognition", "website": ""})
    confirm = services.subscriber_confirm

    def confirm_then_expire(**kwargs):  # the link's last moment passes during its use
        subscriber = confirm(**kwargs)
        settings.ACCOUNT_CONFIRM_MAX_AGE = -1
        return subscriber

    monkeypatch.setattr(services, "subscriber_confirm", confirm_then_expire)
    response = client.post(confirmation_link(), follow=True)
    assert "Your subscription is confirmed" in response.content.decode()
