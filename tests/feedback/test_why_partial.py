"""``digest/_why.html``: the reasons of a recommended paper on web pages, in words."""

from django.template.loader import render_to_string


def _why(terms):
    return " ".join(render_to_string("digest/_why.html", {"terms": terms}).split())


def test_it_shows_keywords_as_tags_and_liked_papers_by_title():
    html = _why(["speech", "like: Whisper at scale", "asr"])

    assert html.startswith('Why: matches <span class="tag">speech</span>')
    assert '<span class="tag">asr</span>; close to <em>Whisper at scale</em>, which you' in html
    assert "like:" not in html


def test_an_interest_a_paper_holds_only_part_of_reads_partly():
    html = _why(["speech", "part: video diffusion models"])

    assert html == (
        'Why: matches <span class="tag">speech</span>; '
        'partly matches <span class="tag">video diffusion models</span>'
    )
    assert _why(["part: asr"]) == 'Why: partly matches <span class="tag">asr</span>'


def test_it_falls_back_to_your_interests_without_reasons():
    assert _why([]) == "Why: matches your interests"


def test_a_liked_paper_is_named_by_a_short_title():
    html = _why(["like: DASpeech: Directed Acyclic Transformer for Fast and High-quality Speech"])

    assert "close to <em>DASpeech</em>, which you liked" in html
    long = "like: " + " ".join(f"word{i}" for i in range(20))
    assert "<em>word0 word1 word2 word3 word4 word5 word6 word7…</em>" in _why([long])
