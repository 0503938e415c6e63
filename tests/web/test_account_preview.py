import html
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from digest.models import Paper
from digest.services import digest_send_batch


def preview_titles(page):
    section = page.split('id="preview"')[1].split("</section>")[0]
    titles = re.findall(r'<div class="title">(?:<a [^>]*>)?([^<]+)', section)
    return [html.unescape(title) for title in titles]


@pytest.mark.django_db
def test_it_previews_the_digest_and_follows_interest_changes(signed_in, subscriber, papers):
    speech = preview_titles(signed_in.get("/account/").content.decode())
    assert speech, "speech recognition should match papers of the sample corpus"
    assert len(speech) <= subscriber.max_papers
    assert any("speech" in Paper.objects.get(title=t.strip()).abstract.lower() for t in speech)

    interest = subscriber.interests.get()
    signed_in.post(f"/account/interests/{interest.id}/remove/")
    signed_in.post("/account/interests/", {"phrases": "object detection, image segmentation"})
    vision = preview_titles(signed_in.get("/account/").content.decode())
    assert vision and set(vision).isdisjoint(speech)


@pytest.mark.django_db
def test_it_shows_why_each_paper_was_picked(signed_in, papers):
    section = signed_in.get("/account/").content.decode().split('id="preview"')[1]
    first = section.split("</li>")[0]
    assert '<span class="tag">speech recognition</span>' in first
    assert not re.search(r"score|\d\.\d", first)


@pytest.mark.django_db
def test_it_says_so_when_nothing_matches(signed_in, subscriber, papers):
    subscriber.interests.update(phrase="zyxwvut qqqzzz")
    page = signed_in.get("/account/").content.decode()
    assert "No recent paper really matches one of your interests" in page
    assert "No digest sent yet" in page and "Your first one arrives" in page


@pytest.mark.django_db
def test_it_says_so_when_the_reader_only_keeps_topics_out(signed_in, subscriber, papers):
    subscriber.interests.update(excluded=True)

    page = signed_in.get("/account/").content.decode()

    assert "You only keep topics out, so no digest would be sent." in page


@pytest.mark.django_db
def test_a_reader_who_removed_every_interest_is_told_so_and_promised_no_digest(
    signed_in, subscriber, papers
):
    subscriber.interests.all().delete()

    page = signed_in.get("/account/").content.decode()

    assert "You follow no topic, so no digest would be sent." in page
    assert "only keep topics out" not in page
    assert "No digest sent yet." in page and "Your first one arrives" not in page


@pytest.mark.django_db
def test_it_says_when_fewer_papers_qualify_than_the_digest_holds(signed_in, subscriber, papers):
    page = signed_in.get("/account/").content.decode()
    shown = preview_titles(page)

    assert 0 < len(shown) < subscriber.max_papers
    assert f"Only {len(shown)} of your {subscriber.max_papers} papers" in page
    assert "none is added as filler" in page


@pytest.mark.django_db
def test_it_says_the_preview_is_being_prepared_until_the_first_index_is_built(
    signed_in, subscriber, sample_corpus_path, build_index
):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    page = signed_in.get("/account/").content.decode()
    assert "Your preview is being prepared" in page
    assert "No recent paper matches" not in page

    build_index()
    page = signed_in.get("/account/").content.decode()
    assert "being prepared" not in page and preview_titles(page)


@pytest.mark.django_db
def test_viewing_the_account_again_costs_a_few_small_queries(
    signed_in, papers, django_assert_max_num_queries
):
    # Session, reader, interests, ratings' state, newest sent digest, newest edition, the
    # ratings list; the preview and past digests come from the cache (there were 13).
    signed_in.get("/account/")
    with django_assert_max_num_queries(7):
        page = signed_in.get("/account/").content.decode()

    assert preview_titles(page)


@pytest.mark.django_db
def test_right_after_a_digest_the_empty_preview_says_nothing_new_came_not_that_nothing_matches(
    signed_in, subscriber, papers
):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())

    page = signed_in.get("/account/").content.decode()

    assert "No paper has been added since your last digest was made" in page
    assert "No recent paper really matches" not in page
