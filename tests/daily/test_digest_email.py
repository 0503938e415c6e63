from datetime import date
from email import message_from_bytes, policy
from html import unescape

from django.core import mail

from digest.models import Digest, DigestItem, Paper
from digest.services import digest_message


def test_it_sends_html_and_text_with_links_and_list_headers(
    corpus, make_subscriber, run_digests, settings
):
    settings.SITE_URL = "https://digest.example.org"
    make_subscriber("speech@example.org", ["speech recognition"])

    run_digests(date(2026, 11, 23))

    (message,) = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert message.from_email == settings.DIGEST_FROM_EMAIL
    assert message.from_email != settings.DEFAULT_FROM_EMAIL
    assert "Monday, 23 November 2026" in message.body
    assert "Why: matches" in message.body and "speech" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://digest.example.org/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Id"] == settings.DIGEST_LIST_ID
    for part in (message.body, html):
        assert unsubscribe in part
        assert "https://digest.example.org/settings/" in part
    assert 'href="https://arxiv.org/' in html or "<a href=" in html
    assert message.tags == ["digest"]
    assert message.metadata["edition"] == "2026-11-23"


def test_it_shows_a_title_as_written_in_text_and_subject_and_escapes_it_in_html(
    corpus, make_subscriber, run_digests
):
    title = 'Don\'t "stop" <b>now</b> & speech recognition'
    Paper.objects.create(
        source="test", title=title, abstract="Speech recognition that keeps going."
    )
    make_subscriber("speech@example.org", ["speech recognition"])

    run_digests(date(2026, 11, 23))

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert title in message.body
    assert message.subject.endswith(": " + title)
    assert "<b>now</b>" not in html
    assert unescape(html).count(title) == 1


def test_it_shortens_a_long_abstract_in_both_parts(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    words = [f"word{i}" for i in range(100)]
    paper = Paper.objects.create(source="test", title="Long", abstract="\n".join(words))
    digest = Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 23))
    item = DigestItem(digest=digest, paper=paper, rank=1, score=0.5, terms=["speech"])

    message = digest_message(digest, subscriber, [item])

    assert " ".join(words[:45]) + " …\n" in message.body
    assert " ".join(words[:60]) + " …</p>" in message.alternatives[0][0]
    assert words[60] not in message.alternatives[0][0]


def test_it_builds_a_mime_email_that_splits_into_the_same_text_and_html(
    corpus, make_subscriber, run_digests
):
    make_subscriber("speech@example.org", ["speech recognition"])
    run_digests(date(2026, 11, 23))
    (message,) = mail.outbox

    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)

    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"].strip() == message.subject
    assert parsed.get_body(("plain",)).get_content() == message.body
    assert parsed.get_body(("html",)).get_content() == message.alternatives[0][0]


def test_it_cuts_a_long_title_in_the_subject_at_a_word_in_plain_ascii(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    title = "Scaling Speech Recognition to a Thousand Languages with Self-Supervised Pretraining"
    paper = Paper.objects.create(source="test", title=title, abstract="Speech.")
    digest = Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 23))
    item = DigestItem(digest=digest, paper=paper, rank=1, score=0.5, terms=["speech"])

    message = digest_message(digest, subscriber, [item])

    assert message.subject == (
        "1 new paper for you: Scaling Speech Recognition to a Thousand Languages with..."
    )
    head = message.message().as_string().split("\n\n")[0]
    assert "=?utf-8?" not in head  # readable as is, no encoded-word
