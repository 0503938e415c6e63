import pytest

from accounts.links import feedback_urls
from digest.models import Paper, Rating
from digest.services import rating_record

pytestmark = pytest.mark.django_db


def test_it_lists_the_rated_papers_on_the_account_page(signed_in, subscriber, paper):
    other = Paper.objects.create(source="test", title="Diffusion models for painting")
    rating_record(subscriber=subscriber, paper=paper, value=1)
    rating_record(subscriber=subscriber, paper=other, value=-1)

    page = signed_in(subscriber).get("/account/").content.decode()

    assert "Papers you rated" in page
    assert paper.title in page and other.title in page
    assert "More like this" in page and "Less like this" in page
    assert page.count(">Undo</button>") == 2
    assert "/account/export/" in page


def test_it_shows_an_empty_state_without_ratings(signed_in, subscriber):
    page = signed_in(subscriber).get("/account/").content.decode()

    assert "No ratings yet" in page


def test_it_undoes_a_rating_from_the_account_page(signed_in, subscriber, paper):
    rating_record(subscriber=subscriber, paper=paper, value=1)

    response = signed_in(subscriber).post(f"/account/ratings/{paper.id}/undo/", follow=True)

    assert not Rating.objects.exists()
    page = response.content.decode()
    assert "Your rating was removed" in page
    assert "No ratings yet" in page


def test_it_lets_no_one_else_undo_a_rating(client, signed_in, make_subscriber, subscriber, paper):
    rating_record(subscriber=subscriber, paper=paper, value=1)
    intruder = make_subscriber("intruder@example.org")

    client.post(f"/account/ratings/{paper.id}/undo/")
    signed_in(intruder).post(f"/account/ratings/{paper.id}/undo/")

    assert Rating.objects.get().subscriber == subscriber


def test_it_undoes_nothing_on_get(signed_in, subscriber, paper):
    rating_record(subscriber=subscriber, paper=paper, value=1)

    response = signed_in(subscriber).get(f"/account/ratings/{paper.id}/undo/")

    assert response.status_code == 405
    assert Rating.objects.count() == 1


def test_it_shows_the_rating_from_a_feedback_link_on_the_account_page(
    client, signed_in, subscriber, paper, link_path
):
    _, less = feedback_urls(subscriber, [paper])[0]
    client.post(link_path(less))

    page = signed_in(subscriber).get("/account/").content.decode()

    assert paper.title in page and "Less like this" in page
