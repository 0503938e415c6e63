"""``digest/_why.html``: the reasons of a recommended paper on web pages, in words."""

from django.template.loader import render_to_string


def _why(terms):
    return " ".join(render_to_string("digest/_why.html", {"terms": terms}).split())


def test_it_shows_keywords_as_tags_and_liked_papers_by_title():
    html = _why(["speech", "like: Whisper at scale", "asr"])

    assert html.startswith('Why: matches <span class="tag">speech</span>')
    assert '<span class="tag">asr</span>; close to <em>Whisper at scale</em>, which you' in html
    assert "like:" not in html


def test_it_falls_back_to_your_interests_without_reasons():
    assert _why([]) == "Why: matches your interests"
