from digest.ranking import PaperIndex

from .conftest import rank, titles


def test_it_ranks_papers_with_all_words_of_a_phrase_above_papers_with_some(index):
    ranked = rank(index, [("language adaptation", False)])

    assert ranked[0][0] == "Low-rank adaptation of large language models"
    assert all(score < ranked[0][1] / 4 for _, score, _ in ranked[1:])


def test_a_phrase_whose_informative_word_no_paper_uses_matches_nothing(index):
    assert titles(rank(index, [("molecules", False)])) == ["Graph neural networks for molecules"]
    assert rank(index, [("enzymatic molecules", False)]) == []


def test_it_matches_a_hyphenated_compound_as_a_whole_not_by_its_generic_word():
    index = PaperIndex.fit(
        [
            "Detecting out-of-distribution inputs",
            "The distribution of attention weights",
            "Graph neural networks for molecules",
        ],
        [
            "A detector flags out-of-distribution samples at test time.",
            "We study the distribution of attention weights and how this distribution "
            "changes during training; the distribution is heavy-tailed.",
            "Message passing networks predict molecular properties.",
        ],
    )

    ranked = rank(index, [("out-of-distribution", False)])

    assert ranked[0][0] == "Detecting out-of-distribution inputs"
    assert ranked[0][2][0] == "out-of-distribution"
    assert all(score < ranked[0][1] / 4 for _, score, _ in ranked[1:])


def test_it_matches_a_word_written_with_or_without_a_hyphen_and_not_its_pieces_alone():
    index = PaperIndex.fit(
        [
            "Efficient pre-training of language models",
            "Pretraining vision transformers on small datasets",
            "Training graph networks for molecules",
        ],
        [
            "We cut the cost of pre-training with a curriculum.",
            "Pretraining on small datasets works with strong augmentation.",
            "Message passing networks predict molecular properties after training.",
        ],
    )

    for interest in ("pretraining", "pre-training"):
        assert set(titles(rank(index, [(interest, False)]))) == {
            "Efficient pre-training of language models",
            "Pretraining vision transformers on small datasets",
        }
