import re
from datetime import timedelta

import pytest
from django.utils import timezone

from digest.models import Paper


def suggest(client, text, **extra):
    return client.get("/interests/suggest", {"q": text}, **extra)


@pytest.mark.django_db
def test_it_suggests_phrases_of_recent_papers_with_their_counts(client, papers):
    response = suggest(client, "spee")
    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    phrases = [s["phrase"] for s in suggestions]
    assert "speech" in phrases and "speech recognition" in phrases
    assert all("spee" in p for p in phrases)
    speech = next(s for s in suggestions if s["phrase"] == "speech")
    word = re.compile(r"(?<![-\w])speech(?![-\w])")
    with_speech = [p for p in Paper.objects.all() if word.search(f"{p.title} {p.abstract}".lower())]
    assert speech["papers"] == len(with_speech)
    assert response["Cache-Control"] == "max-age=300"


@pytest.mark.django_db
def test_it_counts_only_last_weeks_papers(client, papers):
    before = {s["phrase"]: s["papers"] for s in suggest(client, "speech").json()["suggestions"]}
    Paper.objects.filter(abstract__icontains="speech").update(
        ingested_at=timezone.now() - timedelta(days=8)
    )
    after = {s["phrase"]: s["papers"] for s in suggest(client, "speech").json()["suggestions"]}
    assert before.get("speech", 0) > after.get("speech", 0)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "s", "  ", "zzqx"])
def test_too_short_or_unknown_text_gets_no_suggestions(client, papers, text):
    assert suggest(client, text).json() == {"suggestions": []}


@pytest.mark.django_db
def test_it_leaves_out_stop_words_and_links(client, papers):
    phrases = [s["phrase"] for s in suggest(client, "th").json()["suggestions"]]
    assert "the" not in phrases and "this" not in phrases
    assert not [p for p in suggest(client, "http").json()["suggestions"]]


@pytest.mark.django_db
def test_strangers_cannot_ask_without_limit(client, papers, settings):
    settings.INTEREST_SUGGEST_RATE = "3/m"
    for _ in range(3):
        assert suggest(client, "speech").status_code == 200
    refused = suggest(client, "speech")
    assert refused.status_code == 429
    assert "max-age" not in refused.get("Cache-Control", "")  # not kept by the browser
    assert suggest(client, "speech", REMOTE_ADDR="10.9.9.9").status_code == 200
