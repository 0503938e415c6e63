import json
from datetime import date

import pytest

from digest.models import Digest, DigestItem, Paper
from digest.services import rating_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(subscriber, paper):
    other = Paper.objects.create(source="test", title="Diffusion models for painting")
    digest = Digest.objects.create(
        subscriber=subscriber, edition=date(2026, 11, 20), status=Digest.Status.SENT
    )
    DigestItem.objects.create(
        digest=digest, paper=paper, rank=1, score=0.61234, terms=["speech", "recognition"]
    )
    DigestItem.objects.create(
        digest=digest, paper=other, rank=2, score=0.2, terms=[f"like: {paper.title}"]
    )
    rating_record(subscriber=subscriber, paper=other, value=-1)
    return digest


def test_it_downloads_everything_about_the_subscriber_as_a_json_file(
    signed_in, subscriber, paper, history
):
    response = signed_in(subscriber).get("/account/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="paper-digest-')
    data = json.loads(response.content)
    assert data["profile"]["email"] == "reader@example.org"
    assert data["profile"]["frequency"] == "daily"
    assert data["interests"] == [{"phrase": "speech recognition", "weight": 1.0, "excluded": False}]
    assert [(r["paper"]["title"], r["rating"]) for r in data["ratings"]] == [
        ("Diffusion models for painting", "less like this")
    ]
    [digest] = data["digests"]
    assert digest["edition"] == "2026-11-20"
    assert digest["status"] == "sent"
    first, second = digest["papers"]
    assert (first["rank"], first["score"]) == (1, 0.6123)
    assert first["reasons"] == ["speech", "recognition"]
    assert first["paper"] == {
        "title": paper.title,
        "url": "https://arxiv.org/abs/2411.00001",
        "arxiv_id": "2411.00001",
    }
    assert second["reasons"] == [f"like: {paper.title}"]


def test_it_exports_nobody_elses_data(signed_in, make_subscriber, history):
    someone = make_subscriber("someone@example.org", interests=["robotics"])

    data = json.loads(signed_in(someone).get("/account/export/").content)

    assert data["profile"]["email"] == "someone@example.org"
    assert data["ratings"] == [] and data["digests"] == []


def test_it_sends_a_visitor_who_is_not_signed_in_to_the_sign_in_page(client, history):
    response = client.get("/account/export/")

    assert response.status_code == 302
    assert response["Location"] == "/signin/"
