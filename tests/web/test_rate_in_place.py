import pytest
from django.test import Client

from accounts.views import SESSION_KEY
from digest.models import Paper, Rating


def first_preview_paper(client):
    page = client.get("/account/").content.decode()
    paper_id = int(page.split('id="preview"')[1].split('id="paper-')[1].split('"')[0])
    return Paper.objects.get(pk=paper_id)


@pytest.mark.django_db
def test_a_reader_rates_a_paper_from_the_preview_and_returns_to_it(signed_in, subscriber, papers):
    paper = first_preview_paper(signed_in)
    response = signed_in.post(f"/account/ratings/{paper.id}/more/", {"next": "/account/"})
    assert response.url == f"/account/#paper-{paper.id}"
    assert Rating.objects.get(subscriber=subscriber, paper=paper).value == 1
    page = signed_in.get("/account/").content.decode()
    assert 'aria-pressed="true" aria-label="More like' in page
    signed_in.post(f"/account/ratings/{paper.id}/less/", {"next": "/account/"})
    assert Rating.objects.get(subscriber=subscriber, paper=paper).value == -1


@pytest.mark.django_db
def test_rating_needs_a_signed_in_reader_and_a_post(client, subscriber, papers):
    paper = Paper.objects.first()
    assert client.post(f"/account/ratings/{paper.id}/more/").url == "/signin/"
    session = client.session
    session[SESSION_KEY] = subscriber.id
    session.save()
    assert client.get(f"/account/ratings/{paper.id}/more/").status_code == 405
    assert client.post("/account/ratings/999999/more/").status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_it_never_redirects_off_site(signed_in, papers):
    paper = Paper.objects.first()
    response = signed_in.post(f"/account/ratings/{paper.id}/more/", {"next": "https://evil.test/"})
    assert response.url == f"/account/#paper-{paper.id}"


@pytest.mark.django_db
def test_rating_needs_the_csrf_token(subscriber, papers):
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[SESSION_KEY] = subscriber.id
    session.save()
    paper = Paper.objects.first()
    assert client.post(f"/account/ratings/{paper.id}/more/").status_code == 403
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_rated_papers_can_be_changed_in_place(signed_in, subscriber, papers):
    paper = Paper.objects.first()
    Rating.objects.create(subscriber=subscriber, paper=paper, value=1)
    section = signed_in.get("/account/").content.decode().split('id="ratings"')[1]
    assert f"/account/ratings/{paper.id}/less/" in section
