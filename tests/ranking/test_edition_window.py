import numpy as np

from digest.ranking import Profiles, recommend


def test_each_reader_gets_only_the_candidates_from_their_own_first_one(index):
    profiles = Profiles.build(
        n_papers=len(index),
        limits=[10, 10, 10],
        interests=[(row, "speech", 1.0, False) for row in range(3)],
    )
    candidates = np.arange(len(index))  # oldest first
    everything = recommend(index, profiles, candidates).for_subscriber(0)
    speech = sorted(paper for paper, _, _ in everything)
    cut = speech[1]  # the second speech paper

    result = recommend(index, profiles, candidates, first_candidate=[0, cut, len(index)])

    assert sorted(p for p, _, _ in result.for_subscriber(0)) == speech
    assert sorted(p for p, _, _ in result.for_subscriber(1)) == speech[1:]
    assert result.for_subscriber(2) == []


def test_no_candidates_at_all_recommends_nothing(index):
    profiles = Profiles.build(n_papers=len(index), limits=[5], interests=[(0, "speech", 1, False)])

    result = recommend(index, profiles, np.zeros(0, np.int64))

    assert result.for_subscriber(0) == []
