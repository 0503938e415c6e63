import pytest

from digest.models import Paper
from digest.services import papers_upsert
from digest.sources.base import PaperRecord

pytestmark = pytest.mark.django_db


def test_it_merges_the_same_title_whatever_its_spacing_and_case():
    papers_upsert(records=[PaperRecord(title="Attention Is  All You Need")], source="jsonl")
    result = papers_upsert(
        records=[PaperRecord(title="attention is all you need ", abstract="Transformers.")],
        source="jsonl",
    )
    assert (result.new, result.updated) == (0, 1)
    paper = Paper.objects.get()
    assert paper.abstract == "Transformers."  # the blank was filled in


def test_it_merges_by_external_id_across_sources_and_keeps_the_id():
    papers_upsert(records=[PaperRecord(title="A Paper", abstract="v1 text")], source="jsonl")
    papers_upsert(
        records=[PaperRecord(title="A paper", external_id="2401.00001", upvotes=12)],
        source="daily-papers",
    )
    papers_upsert(
        records=[PaperRecord(title="A Paper (renamed)", external_id="2401.00001", version=2)],
        source="arxiv",
    )
    paper = Paper.objects.get()
    assert paper.external_id == "2401.00001"
    assert paper.title == "A Paper (renamed)"  # a newer version replaces the text
    assert paper.upvotes == 12


def test_it_refreshes_upvotes():
    papers_upsert(records=[PaperRecord(title="Popular", external_id="1", upvotes=3)], source="x")
    result = papers_upsert(
        records=[PaperRecord(title="Popular", external_id="1", upvotes=40)], source="x"
    )
    assert result.updated == 1
    assert Paper.objects.get().upvotes == 40


def test_it_stores_a_paper_listed_twice_in_one_batch_once():
    result = papers_upsert(
        records=[PaperRecord(title="Twice"), PaperRecord(title="twice", abstract="More.")],
        source="jsonl",
    )
    assert result.new == 1
    assert Paper.objects.get().abstract == "More."
