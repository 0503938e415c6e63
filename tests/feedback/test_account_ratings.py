from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.links import feedback_urls
from digest.models import Paper, Rating
from digest.services import rating_record
from digest.views import RATINGS_ON_ACCOUNT_PAGE, RATINGS_PER_PAGE

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


@pytest.fixture
def many_ratings(subscriber):
    """``count`` ratings, one a day, the newest titled "Paper 0"."""

    def rate(count):
        now = timezone.now()
        for n in range(count):
            paper = Paper.objects.create(
                source="test", external_id=f"2501.{n:05d}", title=f"Paper {n} on rain"
            )
            Rating.objects.create(
                subscriber=subscriber, paper=paper, value=1, created_at=now - timedelta(days=n)
            )

    return rate


def test_it_shows_the_newest_ratings_on_the_account_page_and_links_to_all(
    signed_in, subscriber, many_ratings
):
    many_ratings(RATINGS_ON_ACCOUNT_PAGE + 5)

    page = signed_in(subscriber).get("/account/").content.decode()

    assert page.count(">Undo</button>") == RATINGS_ON_ACCOUNT_PAGE
    assert "Paper 0 on rain" in page
    assert f"Paper {RATINGS_ON_ACCOUNT_PAGE} on rain" not in page
    assert f'href="/account/ratings/">All {RATINGS_ON_ACCOUNT_PAGE + 5} ratings</a>' in page


def test_the_account_page_costs_the_same_queries_with_a_year_of_ratings(
    signed_in, subscriber, many_ratings
):
    client = signed_in(subscriber)
    client.get("/account/")  # the first view reads what later ones find in the cache
    many_ratings(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/account/")
    Paper.objects.all().delete()
    many_ratings(365)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/account/").content.decode()

    assert len(many) == len(few)
    assert page.count(">Undo</button>") == RATINGS_ON_ACCOUNT_PAGE


def test_it_lists_all_ratings_page_by_page_newest_first(signed_in, subscriber, many_ratings):
    many_ratings(RATINGS_PER_PAGE + 3)
    client = signed_in(subscriber)

    first = client.get("/account/ratings/").content.decode()
    second = client.get("/account/ratings/?page=2").content.decode()

    assert first.count(">Undo</button>") == RATINGS_PER_PAGE
    assert "Paper 0 on rain" in first and f"Paper {RATINGS_PER_PAGE} on" not in first
    assert second.count(">Undo</button>") == 3
    assert f"Paper {RATINGS_PER_PAGE + 2} on rain" in second
    assert 'href="?page=2"' in first


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "1" * 40])
def test_a_bad_page_number_shows_a_page_not_an_error(signed_in, subscriber, many_ratings, page):
    many_ratings(3)

    response = signed_in(subscriber).get(f"/account/ratings/?page={page}")

    assert response.status_code == 200
    assert response.content.decode().count(">Undo</button>") == 3


def test_the_ratings_pages_need_a_signed_in_reader(client):
    response = client.get("/account/ratings/")

    assert response.status_code == 302
    assert "/account/ratings/" not in response["Location"]


def test_an_undo_returns_to_the_page_it_was_made_on(signed_in, subscriber, many_ratings):
    many_ratings(RATINGS_PER_PAGE + 3)
    oldest = Rating.objects.order_by("created_at").first()

    response = signed_in(subscriber).post(
        f"/account/ratings/{oldest.paper_id}/undo/", {"next": "/account/ratings/?page=2"}
    )

    assert response["Location"] == "/account/ratings/?page=2#ratings"
    assert not Rating.objects.filter(id=oldest.id).exists()


def test_an_undo_never_leads_off_the_site(signed_in, subscriber, paper):
    rating_record(subscriber=subscriber, paper=paper, value=1)

    response = signed_in(subscriber).post(
        f"/account/ratings/{paper.id}/undo/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == "/account/#ratings"
