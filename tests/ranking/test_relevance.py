import pytest

from benchmarks.corpus import load_corpus
from digest.ranking import PaperIndex

from .conftest import rank, titles


@pytest.fixture(scope="module")
def sample_text(request):
    """Each sample paper's title and abstract, lower-cased, by its title."""
    corpus = load_corpus(request.config.rootpath / "data" / "papers.jsonl")
    return {t: f"{t} {a}".lower() for t, a in zip(corpus.titles, corpus.abstracts, strict=True)}


def test_it_puts_speech_papers_first_for_a_speech_persona(sample_index):
    ranked = titles(rank(sample_index, [("speech translation", False)], limit=3))

    assert len(ranked) == 3
    assert all("speech" in title.lower() for title in ranked)


def test_it_matches_word_forms_and_phrases(index):
    ranked = titles(rank(index, [("detecting objects", False)]))

    assert set(ranked[:2]) == {
        "Object detection with transformers",
        "Real-time object detection on mobile devices",
    }


def test_it_sends_nothing_for_a_topic_the_papers_are_not_about(sample_index):
    assert rank(sample_index, [("medieval manuscripts", False)]) == []


def test_it_gives_each_subscriber_at_most_their_limit(index):
    assert len(rank(index, [("diffusion", False), ("object detection", False)], limit=2)) == 2


def test_a_paper_sharing_only_generic_words_of_a_phrase_is_not_sent(sample_index, sample_text):
    ranked = titles(rank(sample_index, [("weather forecasting models", False)]))

    assert ranked
    assert all("weather" in sample_text[title] for title in ranked)


def test_a_paper_with_the_weaker_words_of_a_phrase_but_not_its_rarest_is_not_sent(sample_index):
    # "error" and "correction" (in a chain-of-thought paper) are more than half of the
    # phrase's information, but the paper is not about anything "quantum".
    assert rank(sample_index, [("quantum error correction", False)]) == []


def test_a_phrase_whose_rarest_word_no_paper_uses_matches_nothing(sample_index):
    # Three papers hold "error" and "correction"; none has the made-up rarest word.
    assert rank(sample_index, [("zyxquantum error correction", False)]) == []


def test_a_reader_whose_interests_the_papers_are_not_about_gets_no_digest(sample_index):
    interests = [("quantum error correction", False), ("topological codes", False)]

    assert rank(sample_index, interests) == []


def test_a_reader_whose_phrases_words_meet_only_apart_gets_no_digest(sample_index):
    # Titles hold "dynamic" and "molecular" ("A Dynamic ... Transformer for De Novo
    # Molecular Design"), but no paper is about molecular dynamics or protein folding.
    interests = [("protein folding", False), ("molecular dynamics", False)]

    assert rank(sample_index, interests) == []


def test_a_phrase_written_with_words_between_its_words_is_held_where_a_paper_writes_them_apart(
    sample_index,
):
    # "... Large Language Models (LLMs), particularly when dealing with complex tasks
    # involving mathematics or reasoning."
    ranked = titles(rank(sample_index, [("LLMs for mathematics", False)]))

    assert "Towards Revealing the Mystery behind Chain of Thought: A Theoretical Perspective" in (
        ranked
    )


def test_a_word_made_with_ize_does_not_match_its_base_word(sample_index, sample_text):
    ranked = titles(rank(sample_index, [("tokenization", False)]))

    assert ranked
    assert all("tokeniz" in sample_text[title] for title in ranked)  # not "token pruning"


def test_a_phrase_is_held_whole_without_its_generic_word_next_to_the_others():
    # "training" is in most papers: "memory-efficient ... training" holds the phrase.
    papers = [
        ("A memory-efficient optimizer", "A memory-efficient optimizer for training transformers."),
        ("Training large models", "We study training at scale."),
        ("Training with noisy labels", "Training is robust to noisy labels."),
        ("Graph layouts", "We draw graphs on the plane."),
    ]
    index = PaperIndex.fit(papers)

    assert titles(rank(index, [("memory-efficient training", False)])) == [papers[0][0]]
