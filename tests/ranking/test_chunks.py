import numpy as np

from digest.ranking import Profiles, recommend

PHRASES = ["object detection", "speech", "diffusion", "video", "language models", "molecules"]


def test_chunked_ranking_gives_the_same_result_as_one_chunk(index):
    rng = np.random.default_rng(1)
    interests = [
        (row, phrase, float(rng.uniform(0.5, 3)), bool(rng.random() < 0.2))
        for row in range(50)
        for phrase in rng.choice(PHRASES, size=3, replace=False)
    ]
    profiles = Profiles.build(
        n_papers=len(index),
        limits=rng.integers(1, 5, size=50).tolist(),
        interests=interests,
        seen=[(row, int(rng.integers(len(index)))) for row in range(0, 50, 3)],
        feedback=[(row, int(rng.integers(len(index))), 1, 10) for row in range(0, 50, 4)],
    )
    whole = recommend(index, profiles, range(len(index)), chunk_size=1000, min_score=0.01)
    chunked = recommend(index, profiles, range(len(index)), chunk_size=7, min_score=0.01)

    assert whole.paper.size > 50
    np.testing.assert_array_equal(whole.indptr, chunked.indptr)
    np.testing.assert_array_equal(whole.paper, chunked.paper)
    np.testing.assert_allclose(whole.score, chunked.score, rtol=1e-6)
    assert whole.terms == chunked.terms
