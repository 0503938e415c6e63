import re

import pytest
from django.test import Client

from accounts.models import Interest
from digest import selectors
from digest.models import Paper, Rating

pytestmark = pytest.mark.django_db


def titles(response):
    section = response.content.decode().split('id="results"')[1]
    return re.findall(r'<div class="title"><a href="[^"]*">([^<]+)</a>', section)


def test_it_finds_a_paper_by_words_of_its_abstract(client, papers):
    # Words from the abstract of "Why Can't Transformers Learn Multiplication? ..."
    response = client.get("/papers/", {"q": "implicit chain-of-thought multiplication"})

    assert response.status_code == 200
    assert titles(response)[0].startswith("Why Can&#x27;t Transformers Learn Multiplication?")


def test_it_pages_through_many_results(client, papers):
    first = client.get("/papers/", {"q": "transformer"})
    second = client.get("/papers/", {"q": "transformer", "page": 2})

    assert len(titles(first)) == 20
    assert titles(second) and set(titles(first)).isdisjoint(titles(second))
    assert 'href="?q=transformer&amp;page=2"' in first.content.decode()


def test_further_pages_and_the_same_search_again_do_not_rank_the_archive_again(
    client, papers, monkeypatch
):
    ranked = []
    search = selectors.search
    monkeypatch.setattr(selectors, "search", lambda *a, **k: ranked.append(1) or search(*a, **k))

    first = client.get("/papers/", {"q": "transformer"})
    second = client.get("/papers/", {"q": "transformer", "page": 2})
    again = client.get("/papers/", {"q": "transformer"}, REMOTE_ADDR="10.9.9.9")

    assert len(ranked) == 1
    assert titles(second) and titles(again) == titles(first)


@pytest.mark.parametrize(
    "query",
    ["", "   ", "<script>alert(1)</script>", "the of and", "zzqxv", "%00\x00"]
    + ["'; --", "\\", "日本語", ",", ";", "- ,", "-"],
)
@pytest.mark.parametrize("reader", ["visitor", "signed in"])
def test_an_empty_or_hostile_search_gives_a_clear_empty_page(signed_in, papers, query, reader):
    response = (signed_in if reader == "signed in" else Client()).get("/papers/", {"q": query})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "Type a few words" in page or "No paper matches" in page
    assert 'class="title"' not in page


def test_strangers_cannot_search_without_limit(client, papers, settings, monkeypatch):
    # A search of generic words costs up to 0.5 s of CPU on 150,000 papers.
    settings.SEARCH_RATE_PER_IP = "3/m"
    for query in ("transformer", "diffusion", "speech"):
        assert client.get("/papers/", {"q": query}).status_code == 200
    searched = []
    monkeypatch.setattr("digest.selectors.paper_search", lambda q: searched.append(q) or [])

    refused = client.get("/papers/", {"q": "attention"})

    assert refused.status_code == 429 and searched == []
    assert "Too many searches from your address" in refused.content.decode()
    other = client.get("/papers/", {"q": "attention"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200 and searched == ["attention"]


def test_an_overlong_search_says_so_and_searches_nothing(client, papers):
    response = client.get("/papers/", {"q": "speech " * 100})

    page = response.content.decode()
    assert "A search is at most 200 characters" in page
    assert 'class="title"' not in page


def test_a_signed_in_reader_rates_a_result_in_place_and_follows_the_search(
    signed_in, subscriber, papers
):
    path = "/papers/?q=multi-digit+multiplication"
    page = signed_in.get(path).content.decode()
    more = re.findall(r'action="(/feedback/[^"]+/more/)"', page)[0]

    rated = signed_in.post(more, {"next": path})
    followed = signed_in.post(
        "/account/interests/", {"phrases": re.search(r'name="phrases" value="([^"]+)"', page)[1]}
    )

    assert rated["Location"].startswith(path + "#paper-")
    assert Rating.objects.get(subscriber=subscriber).paper.title.startswith("Why Can't")
    assert followed.status_code == 302
    assert Interest.objects.filter(subscriber=subscriber, phrase="multi-digit multiplication")
    assert "Follow “multi-digit multiplication”" not in signed_in.get(path).content.decode()


def test_a_visitor_sees_results_without_rating_buttons(client, papers):
    page = client.get("/papers/", {"q": "speech recognition"}).content.decode()

    assert 'class="title"' in page
    assert "/feedback/" not in page and "Follow" not in page
    assert Paper.objects.exists()


def test_a_misspelled_search_offers_the_words_the_papers_use(client, papers):
    page = client.get("/papers/", {"q": "difusion Transfomer"}).content.decode()

    assert 'Did you mean <a href="?q=diffusion%20transformer">diffusion transformer</a>?' in page


def test_a_search_in_the_papers_words_offers_no_other_spelling(client, papers):
    page = client.get("/papers/", {"q": "diffusion transformer"}).content.decode()

    assert "Did you mean" not in page


def test_a_search_listing_two_topics_finds_the_papers_of_each(client, papers):
    speech = titles(client.get("/papers/", {"q": "speech recognition"}))
    images = titles(client.get("/papers/", {"q": "image generation"}))

    both = titles(client.get("/papers/", {"q": "speech recognition and image generation"}))

    assert speech[0] in both and images[0] in both


@pytest.mark.parametrize("query", ["-robotics", "no surveys", "speech but not surveys", "x" * 101])
def test_a_search_that_would_be_stored_otherwise_than_it_reads_offers_no_follow_button(
    signed_in, papers, query
):
    page = signed_in.get("/papers/", {"q": query}).content.decode()
    assert 'name="phrases"' not in page and "Follow “" not in page


def test_a_search_with_more_matches_than_it_ranks_does_not_give_their_number_as_all(
    client, papers, monkeypatch
):
    monkeypatch.setattr(selectors, "SEARCH_RESULTS", 3)
    page = client.get("/papers/", {"q": "transformer"}).content.decode()
    assert "The 3 papers that match “transformer” best" in page
    assert "3 papers match" not in page


def test_a_search_keeps_out_the_topics_it_excludes_as_the_account_page_reads_them(client, papers):
    everything = titles(client.get("/papers/", {"q": "transformer"}))
    vision = [t for t in everything if "vision" in t.lower()]
    assert vision  # the sample has vision transformers to leave out

    response = client.get("/papers/", {"q": "transformer, -vision"})

    assert response.status_code == 200
    kept = titles(response)
    assert kept and not any("vision" in t.lower() for t in kept)
    assert "Leaving out papers about “vision”." in response.content.decode()


def test_excluded_topics_leave_their_papers_out_before_the_results_are_cut(
    client, papers, monkeypatch
):
    monkeypatch.setattr(selectors, "SEARCH_RESULTS", 20)

    kept = titles(client.get("/papers/", {"q": "transformer, -vision"}))

    assert len(kept) == 20 and not any("vision" in t.lower() for t in kept)


@pytest.mark.parametrize("query", ["no free lunch theorem", "Not All Patches are What You Need"])
def test_a_search_that_starts_with_a_negating_word_looks_for_what_it_says(client, papers, query):
    page = client.get("/papers/", {"q": query}).content.decode()

    assert "topic to keep out" not in page and "Leaving out" not in page


@pytest.mark.parametrize("query", ["-robotics", "-robotics, no surveys"])
def test_a_search_that_only_keeps_a_topic_out_says_so_and_lists_nothing(client, papers, query):
    page = client.get("/papers/", {"q": query}).content.decode()

    assert "is read as a topic to keep out: add one to look for" in page
    assert 'class="title"' not in page and "match “" not in page


def test_paging_through_a_search_does_not_use_up_the_search_limit(client, papers, settings):
    settings.SEARCH_RATE_PER_IP = "2/m"
    client.get("/papers/", {"q": "transformer"})
    for page in (2, 3, 4, 5):
        assert client.get("/papers/", {"q": "transformer", "page": page}).status_code == 200

    assert client.get("/papers/", {"q": "diffusion"}).status_code == 200  # the second search
    assert client.get("/papers/", {"q": "speech"}).status_code == 429  # the third
