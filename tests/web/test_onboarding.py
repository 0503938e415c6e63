import re

import pytest

from digest.models import Rating


def listed_ids(page):
    return [int(i) for i in re.findall(r'<li id="paper-(\d+)"', page)]


@pytest.mark.django_db
def test_it_offers_recent_papers_close_to_the_interests(signed_in, papers):
    page = signed_in.get("/account/start/").content.decode()
    ids = listed_ids(page)
    assert 3 <= len(ids) <= 6
    assert "speech" in page.lower()
    assert page.count("More like this") == len(ids)


@pytest.mark.django_db
def test_a_new_reader_whose_interest_is_misspelled_is_told_how_it_is_read(
    signed_in, subscriber, papers
):
    subscriber.interests.update(phrase="speech recogniton")

    page = signed_in.get("/account/start/").content.decode()

    assert "No paper uses “recogniton” (in “speech recogniton”)" in page
    assert "it is read as “recognition”; change it if you meant something else." in page


@pytest.mark.django_db
def test_a_new_reader_sees_which_interests_last_weeks_papers_match(signed_in, subscriber, papers):
    subscriber.interests.create(phrase="quantum error correction")

    page = signed_in.get("/account/start/").content.decode()

    listed = dict(re.findall(r"<li>([^<]+)<div[^>]*>([^<]+)</div>", page))
    assert re.fullmatch(
        r"\d+ papers of the last week \(\d+ with all of it\)\.", listed["speech recognition"]
    )
    assert listed["quantum error correction"] == "No paper of the last week matches it."


@pytest.mark.django_db
def test_a_rated_paper_stays_on_the_page_marked(signed_in, subscriber, papers):
    first, *_ = listed_ids(signed_in.get("/account/start/").content.decode())
    response = signed_in.post(f"/account/ratings/{first}/less/", {"next": "/account/start/"})
    assert response.url == f"/account/start/#paper-{first}"
    page = signed_in.get("/account/start/").content.decode()
    assert first in listed_ids(page)
    row = page.split(f'id="paper-{first}"')[1].split("</li>")[0]
    assert 'aria-pressed="true" aria-label="Less like' in row
    assert Rating.objects.get(subscriber=subscriber).paper_id == first


@pytest.mark.django_db
def test_it_needs_a_signed_in_reader(client):
    assert client.get("/account/start/").url == "/signin/"
