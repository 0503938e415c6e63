import json
import logging

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import AccountMail, Interest, Subscriber
from digest.models import Digest, DigestItem, Paper, Rating


@pytest.mark.django_db
def test_it_removes_the_subscriber_and_all_their_data(signed_in, subscriber):
    paper = Paper.objects.create(source="test", title="A paper", abstract="speech")
    digest = Digest.objects.create(subscriber=subscriber, edition=timezone.localdate())
    DigestItem.objects.create(digest=digest, paper=paper, rank=1, score=0.5)
    Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    other = Subscriber.objects.create(email="other@example.org")
    Interest.objects.create(subscriber=other, phrase="robots")
    AccountMail.objects.create(kind="signin", address="Reader@example.org")
    AccountMail.objects.create(
        kind="email-changed", address="old@example.org", subscriber=subscriber
    )
    AccountMail.objects.create(kind="signin", address="other@example.org")

    response = signed_in.post("/account/delete/", follow=True)
    assert "Your account and all its data are deleted." in response.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["other@example.org"]
    assert list(Interest.objects.values_list("phrase", flat=True)) == ["robots"]
    assert not Digest.objects.exists() and not DigestItem.objects.exists()
    assert not Rating.objects.exists()
    assert list(AccountMail.objects.values_list("address", flat=True)) == ["other@example.org"]
    assert Paper.objects.filter(id=paper.id).exists()
    assert signed_in.get("/account/").status_code == 302


@pytest.mark.django_db
def test_it_needs_a_signed_in_post(client, subscriber):
    assert client.post("/account/delete/").status_code == 302
    assert Subscriber.objects.filter(id=subscriber.id).exists()


@pytest.mark.django_db
def test_it_removes_the_address_and_interests_from_the_admin_history(
    signed_in, subscriber, admin_user, caplog
):
    def log(obj, message):
        LogEntry.objects.create(
            user=admin_user,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=json.dumps(message),
        )

    interest = subscriber.interests.get()
    log(
        subscriber,
        [{"changed": {"name": "interest", "object": str(interest), "fields": ["Weight"]}}],
    )
    log(Digest.objects.create(subscriber=subscriber, edition=timezone.localdate()), [])
    other = Subscriber.objects.create(email="other@example.org")
    log(other, [{"changed": {"fields": ["Status"]}}])

    with caplog.at_level(logging.DEBUG):
        signed_in.post("/account/delete/")

    assert LogEntry.objects.count() == 3
    history = json.dumps(list(LogEntry.objects.values("object_repr", "change_message")))
    assert "reader@example.org" not in history and "speech recognition" not in history
    assert LogEntry.objects.filter(object_repr="other@example.org").exists()
    assert "reader@example.org" not in caplog.text
