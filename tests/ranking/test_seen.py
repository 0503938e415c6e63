from .conftest import rank, titles


def test_it_never_recommends_a_paper_already_sent(index):
    before = titles(rank(index, [("object detection", False)]))
    first = index.titles.index(before[0])

    after = titles(rank(index, [("object detection", False)], seen=[first]))

    assert before[0] not in after
    assert after[0] == before[1]
