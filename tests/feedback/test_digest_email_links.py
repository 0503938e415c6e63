from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from digest.models import Digest, DigestItem, Rating
from digest.services import digest_message, digest_send_batch

pytestmark = pytest.mark.django_db


def test_it_puts_more_and_less_like_this_links_next_to_each_paper(corpus, subscriber):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())

    [message] = mail.outbox
    items = list(DigestItem.objects.filter(digest__subscriber=subscriber))
    text = message.body
    html = message.alternatives[0][0]
    assert text.count("More like this: http") == len(items) > 0
    assert text.count("Less like this: http") == len(items)
    assert html.count("More like this</a>") == len(items)
    assert html.count("Less like this</a>") == len(items)
    first_title = text.index(items[0].paper.title)
    assert first_title < text.index("More like this") < text.index(items[1].paper.title)


def test_it_records_a_click_on_an_emailed_link_for_that_paper(
    client, corpus, subscriber, feedback_links, link_path
):
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())
    more, less = feedback_links()
    third = DigestItem.objects.get(digest__subscriber=subscriber, rank=3)

    page = client.get(link_path(less[2]))
    client.post(link_path(less[2]))

    assert third.paper.title in page.content.decode()
    rating = Rating.objects.get()
    assert (rating.subscriber, rating.paper, rating.value) == (subscriber, third.paper, -1)


def test_it_gives_each_subscriber_their_own_links(
    corpus, make_subscriber, feedback_links, client, link_path
):
    alice = make_subscriber("alice@example.org")
    bob = make_subscriber("bob@example.org")
    digest_send_batch(subscriber_ids=[alice.id, bob.id], now=timezone.now())
    to_bob = next(m for m in mail.outbox if m.to == ["bob@example.org"])

    client.post(link_path(feedback_links(to_bob)[0][0]))

    assert Rating.objects.get().subscriber == bob


@pytest.fixture
def explained_item(subscriber, paper):
    digest = Digest(subscriber=subscriber, edition=date(2026, 11, 23), id=1)
    return DigestItem(
        digest=digest,
        paper=paper,
        rank=1,
        score=0.4,
        terms=["speech recognition", "like: Whisper at scale", "transducer", "streaming"],
    )


def test_it_says_why_in_words_for_keywords_and_liked_papers(subscriber, explained_item):
    message = digest_message(explained_item.digest, subscriber, [explained_item])

    assert (
        "Why: matches speech recognition, transducer and streaming;"
        ' close to "Whisper at scale", which you liked' in message.body
    )
    html = message.alternatives[0][0]
    assert "<em>Whisper at scale</em>, which you liked" in html
    assert "like: " not in message.body and "like: " not in html


def test_it_says_why_for_a_paper_recommended_only_by_a_liked_paper(subscriber, explained_item):
    explained_item.terms = ["like: Whisper at scale"]

    message = digest_message(explained_item.digest, subscriber, [explained_item])

    assert 'Why: close to "Whisper at scale", which you liked' in message.body


def test_it_says_which_interests_a_paper_matches_only_in_part(subscriber, explained_item):
    explained_item.terms = ["speech recognition", "part: video diffusion models", "like: Whisper"]

    message = digest_message(explained_item.digest, subscriber, [explained_item])

    assert (
        "Why: matches speech recognition; partly matches video diffusion models;"
        ' close to "Whisper", which you liked' in message.body
    )
    html = " ".join(message.alternatives[0][0].split())
    assert 'partly matches <span class="g">video diffusion models</span>;' in html
    assert "part: " not in message.body and "part: " not in html
