from datetime import date
from email import message_from_bytes, policy
from html import unescape

from django.core import mail

from accounts.models import Subscriber
from digest.editions import HTML_BUDGET
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
    preheader, papers = html.split("</div>", 1)
    assert unescape(papers).count(title) == 1


def test_it_shortens_a_long_abstract_in_both_parts(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    words = [f"word{i}" for i in range(100)]
    paper = Paper.objects.create(source="test", title="Long", abstract="\n".join(words))
    digest = Digest.objects.create(subscriber=subscriber, edition=date(2026, 11, 23))
    item = DigestItem(digest=digest, paper=paper, rank=1, score=0.5, terms=["speech"])

    message = digest_message(digest, subscriber, [item])

    html = message.alternatives[0][0]
    assert " ".join(words[:45]) + " …\n" in message.body
    assert " ".join(words[:40]) in html and " …</div>" in html
    assert words[70] not in html


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


def _digest_of(subscriber, papers, edition=date(2026, 11, 23)):
    digest = Digest.objects.create(subscriber=subscriber, edition=edition)
    terms = ["speech recognition", "conformer", "like: " + "A liked paper title " * 5]
    items = [
        DigestItem(digest=digest, paper=paper, rank=rank, score=0.5, terms=terms)
        for rank, paper in enumerate(papers, start=1)
    ]
    DigestItem.objects.bulk_create(items)
    return digest, items


def test_it_names_authors_date_and_arxiv_abstract_and_pdf_in_both_parts(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    known = Paper.objects.create(
        source="arxiv",
        external_id="2611.01234",
        title="Conformers for speech",
        abstract="Speech.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        published=date(2026, 11, 20),
    )
    title_only = Paper.objects.create(
        source="hf", title="A paper known by its title", abstract="Speech.", authors=["Ada"]
    )
    digest, items = _digest_of(subscriber, [known, title_only])

    message = digest_message(digest, subscriber, items)

    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in part
        assert "Edsger" not in part
        assert "20 Nov 2026" in part
        assert "https://arxiv.org/abs/2611.01234" in part
        assert "https://arxiv.org/pdf/2611.01234" in part
        assert part.count("https://arxiv.org/pdf/") == 1  # no PDF link made up for the other
    assert 'href="https://arxiv.org/abs/2611.01234"' in html


def test_its_inbox_preview_says_whats_inside_and_it_greets_no_address(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition", "conformers"])
    papers = [
        Paper.objects.create(source="test", title=f"Speech paper {i}", abstract="Speech.")
        for i in range(3)
    ]
    digest, items = _digest_of(subscriber, papers)

    message = digest_message(digest, subscriber, items)

    html = message.alternatives[0][0]
    preview = html.split("<body", 1)[1].split("</div>", 1)[0]
    assert "3 papers on conformers and speech recognition, first: Speech paper 0" in preview
    assert "speech@example.org" not in message.body and "speech@example.org" not in html


def test_it_reads_in_dark_mode_clients(make_subscriber):
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    paper = Paper.objects.create(source="test", title="Speech", abstract="Speech.")
    digest, items = _digest_of(subscriber, [paper])

    html = digest_message(digest, subscriber, items).alternatives[0][0]

    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    assert "@media (prefers-color-scheme:dark)" in html


def test_the_largest_digest_stays_under_gmails_clipping_size_with_its_footer(make_subscriber):
    largest = Subscriber._meta.get_field("max_papers").validators[-1].limit_value
    subscriber = make_subscriber("speech@example.org", ["speech recognition"])
    words = " ".join(f"speechword{i}" for i in range(400))
    papers = [
        Paper.objects.create(
            source="arxiv",
            external_id=f"2611.{i:05d}",
            title=f"A long title about speech recognition number {i:02d}: " * 3,  # 150 chars
            abstract=words,
            authors=[f"Maximilian Alexander Schneider-Kowalski {j}" for j in range(200)],
            published=date(2026, 11, 20),
            upvotes=123,
        )
        for i in range(largest)
    ]
    digest, items = _digest_of(subscriber, papers)

    html = digest_message(digest, subscriber, items).alternatives[0][0]

    assert len(items) == largest == 50
    assert len(html.encode()) <= HTML_BUDGET < 102_000
    assert "Unsubscribe</a>" in html.split("</table>")[-3]  # the footer is all there
    assert all(p.title in html for p in papers)
    assert html.count("speechword0 speechword1 speechword2") == len(papers)  # abstracts too
