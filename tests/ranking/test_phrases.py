from .conftest import rank


def test_it_ranks_papers_with_all_words_of_a_phrase_above_papers_with_some(index):
    ranked = rank(index, [("language adaptation", False)])

    assert ranked[0][0] == "Low-rank adaptation of large language models"
    assert all(score < ranked[0][1] / 4 for _, score, _ in ranked[1:])


def test_it_counts_a_word_no_paper_uses_against_the_phrase(index):
    [(title, alone, _)] = rank(index, [("molecules", False)])
    [(same, with_unknown_word, _)] = rank(index, [("enzymatic molecules", False)])

    assert same == title
    assert with_unknown_word < alone / 2
