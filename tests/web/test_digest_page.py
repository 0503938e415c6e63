import re
from datetime import date

import pytest
from django.utils import timezone

from accounts.models import Subscriber
from accounts.tokens import make_token
from digest.models import Digest, DigestItem, Paper, Rating
from digest.services import digest_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(subscriber):
    """A sent digest of two papers, and its email."""
    papers = [
        Paper.objects.create(
            source="arxiv",
            external_id="2611.00042",
            title="Whisper at scale",
            abstract="We scale speech recognition to many languages.",
            authors=["Ada Lovelace", "Alan Turing"],
            published=date(2026, 11, 20),
        ),
        Paper.objects.create(source="hf", title="Conformers again", abstract="Speech."),
    ]
    digest = Digest.objects.create(
        subscriber=subscriber,
        edition=date(2026, 11, 23),
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
    )
    items = [
        DigestItem.objects.create(digest=digest, paper=p, rank=i, score=0.4, terms=["speech"])
        for i, p in enumerate(papers, start=1)
    ]
    return digest, digest_message(digest, subscriber, items)


def page_path(message):
    return re.search(r"View in your browser: https?://[^/]+(/digests/\S+/)", message.body)[1]


def test_the_email_links_to_a_page_of_its_digest_that_needs_no_sign_in(client, sent):
    digest, message = sent
    path = page_path(message)
    assert f'href="http://localhost:8000{path}"' in message.alternatives[0][0]

    response = client.get(path)

    page = response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"  # the token stays off arXiv's logs
    assert "Whisper at scale" in page and "Conformers again" in page
    assert "Ada Lovelace, Alan Turing" in page and "20 Nov 2026" in page
    assert 'href="https://arxiv.org/pdf/2611.00042"' in page
    assert "Monday, 23 November 2026" in page
    assert "reader@example.org" not in page  # no account data, no account powers
    assert "/account/" not in page


def test_a_reader_rates_a_paper_in_place_and_comes_back_to_the_page(client, sent, subscriber):
    digest, message = sent
    path = page_path(message)
    page = client.get(path).content.decode()
    more = re.findall(r'action="(/feedback/[^"]+/more/)"', page)[0]

    response = client.post(more, {"next": path})

    paper = Paper.objects.get(title="Whisper at scale")
    assert response.status_code == 302
    assert response["Location"] == f"{path}#paper-{paper.id}"
    assert Rating.objects.get().value == 1
    again = client.get(path).content.decode()
    undo = re.findall(r'action="/feedback/([^":]+):[^"]+/more/undo/"', again)
    assert 'aria-pressed="true"' in again
    assert undo == [more.split("/")[2].split(":")[0]]  # the same paper; its link is signed anew


def test_the_pages_script_rates_without_leaving_the_page(client, sent):
    digest, message = sent
    page = client.get(page_path(message)).content.decode()
    less = re.findall(r'action="(/feedback/[^"]+/less/)"', page)[1]

    response = client.post(less, HTTP_ACCEPT="application/json")
    undo = client.post(less.replace("/less/", "/less/undo/"), HTTP_ACCEPT="application/json")

    paper = Paper.objects.get(title="Conformers again")
    assert response.json() == {"paper": paper.id, "rating": -1}
    assert undo.json() == {"paper": paper.id, "rating": None}
    assert not Rating.objects.exists()
    assert '<script src="/static/js/rate.js" defer></script>' in page
    assert "<script>" not in page  # no inline script (Content-Security-Policy)


def test_a_rating_sends_no_one_to_another_site(client, sent):
    digest, message = sent
    page = client.get(page_path(message)).content.decode()
    more = re.findall(r'action="(/feedback/[^"]+/more/)"', page)[0]

    response = client.post(more, {"next": "https://evil.example/phish"})

    assert "evil.example" not in response.get("Location", "")
    assert Rating.objects.count() == 1


def test_a_token_for_another_digest_or_reader_shows_nothing(client, sent, subscriber):
    digest, _ = sent
    other = Subscriber.objects.create(email="other@example.org")

    forged = client.get(f"/digests/{make_token(other.id, 'digest', d=digest.id)}/")
    wrong_purpose = client.get(f"/digests/{make_token(subscriber.id, 'feedback', d=digest.id)}/")
    damaged = client.get(f"/digests/{make_token(subscriber.id, 'digest', d=digest.id)}x/")

    assert forged.status_code == 404
    assert wrong_purpose.status_code == damaged.status_code == 400
    for response in (forged, wrong_purpose, damaged):
        assert "Whisper at scale" not in response.content.decode()
    for response in (wrong_purpose, damaged):  # a digest's link, not a feedback link
        page = response.content.decode()
        assert "This link does not work" in page and "Email me a sign-in link" in page
        assert "feedback" not in page.lower() and "Nothing was recorded" not in page


def test_the_account_page_links_each_past_digest_to_its_page(signed_in, sent):
    section = signed_in.get("/account/").content.decode().split('id="past"')[1]
    path = re.search(r'href="(/digests/[^"]+/)"', section)[1]

    signed_in.post("/signout/")
    page = signed_in.get(path)

    assert page.status_code == 200
    assert "Whisper at scale" in page.content.decode()


def test_a_scanners_head_on_the_view_in_browser_link_answers_as_its_get_and_changes_nothing(
    client, sent
):
    digest, message = sent
    path = page_path(message)
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == client.get(path)["Content-Type"]
    assert not Rating.objects.exists()
