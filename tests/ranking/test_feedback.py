import numpy as np
import pytest
import scipy.sparse as sp

from digest.ranking import (
    LIKED_PREFIX,
    LIKES_BRINGING_IN,
    PaperIndex,
    Profiles,
    _inverse_norms,
    recommend,
)

from .conftest import rank, titles

SPEECH = "Direct speech-to-speech translation with discrete units"
RECOGNITION = "Streaming speech recognition with transducers"
DETECTION = "Object detection with transformers"


def positions(index, **feedback):
    ranked = titles(rank(index, [("end-to-end", False)], min_score=0.0, **feedback))
    return {title: ranked.index(title) if title in ranked else len(ranked) for title in ranked}


def test_a_liked_paper_pulls_similar_papers_up(index):
    liked = index.titles.index(SPEECH)

    before = positions(index, seen=[liked])
    after = positions(index, seen=[liked], feedback=[(liked, 1, 0)])

    assert after[RECOGNITION] == 0
    assert before[RECOGNITION] > 0


def test_a_disliked_paper_pushes_similar_papers_down(index):
    disliked = index.titles.index(SPEECH)
    interests = [("end-to-end", False)]

    def scores(**feedback):
        ranked = rank(index, interests, seen=[disliked], min_score=0.0, **feedback)
        return {title: score for title, score, _ in ranked}

    before, after = scores(), scores(feedback=[(disliked, -1, 0)])

    # Moving away from the disliked paper lengthens the query, so every cosine shrinks;
    # the paper like the disliked one loses much more than an unrelated one.
    assert after[RECOGNITION] / before[RECOGNITION] < 0.8 * after[DETECTION] / before[DETECTION]


def test_old_ratings_pull_less_than_new_ones(index):
    liked = index.titles.index(SPEECH)
    interests = [("end-to-end", False)]

    def lead_of_recognition(age):
        """The speech paper's score over the object detection paper's."""
        ranked = rank(index, interests, seen=[liked], feedback=[(liked, 1, age)], min_score=0.0)
        score = {title: score for title, score, _ in ranked}
        return score[RECOGNITION] / score[DETECTION]

    assert lead_of_recognition(0) > lead_of_recognition(120) > 1


def test_a_paper_close_to_a_liked_one_comes_in_named_after_it():
    liked_title = "Streaming speech recognition with transducers"
    close = "Transducers for streaming speech recognition on phones"
    index = PaperIndex.fit(
        zip(
            [liked_title, close, SPEECH, DETECTION],
            [
                "Low latency speech recognition of streaming audio.",
                "Streaming speech recognition with small transducers.",
                "We translate speech into speech in another language.",
                "An end-to-end object detection model with a transformer decoder.",
            ],
            strict=True,
        )
    )
    liked = index.titles.index(liked_title)

    before = rank(index, [("object detection", False)], seen=[liked])
    after = rank(index, [("object detection", False)], seen=[liked], feedback=[(liked, 1, 0)])

    assert titles(before) == [DETECTION]
    assert titles(after) == [DETECTION, close]
    assert after[1][2] == [LIKED_PREFIX + liked_title]


@pytest.mark.parametrize("newer_likes", [LIKES_BRINGING_IN - 1, LIKES_BRINGING_IN])
def test_only_the_newest_likes_bring_papers_in(newer_likes):
    liked_title = "Streaming speech recognition with transducers"
    close = "Transducers for streaming speech recognition on phones"
    others = [(f"Rainfall forecast number {n}", "Rain in one city.") for n in range(newer_likes)]
    index = PaperIndex.fit(
        [
            (liked_title, "Low latency speech recognition of streaming audio."),
            (close, "Streaming speech recognition with small transducers."),
            (DETECTION, "An end-to-end object detection model with a transformer decoder."),
            *others,
        ]
    )
    liked = index.titles.index(liked_title)
    newer = [index.titles.index(title) for title, _ in others]

    ranked = rank(
        index,
        [("object detection", False)],
        seen=[liked, *newer],
        feedback=[(liked, 1, 30), *[(row, 1, 1) for row in newer]],
    )

    # Ten newer likes leave the old one pulling the profile but bringing nothing in.
    assert (close in titles(ranked)) == (newer_likes < LIKES_BRINGING_IN)


def test_a_liked_paper_no_longer_a_candidate_brings_in_nothing_unlike_it(index):
    liked = index.titles.index(SPEECH)
    candidates = [row for row in range(len(index)) if row != liked]

    ranked = rank(
        index, [("object detection", False)], candidates=candidates, feedback=[(liked, 1, 0)]
    )

    assert RECOGNITION not in titles(ranked)
    assert all("object detection" in terms for _, _, terms in ranked)


@pytest.mark.parametrize("value", [1, -1])
def test_feedback_from_another_subscriber_changes_nothing(index, value):
    liked = index.titles.index(SPEECH)
    profiles = Profiles.build(
        n_papers=len(index),
        limits=[5, 5],
        interests=[(0, "end-to-end", 1.0, False), (1, "end-to-end", 1.0, False)],
        feedback=[(1, liked, value, 0)],
    )
    result = recommend(index, profiles, range(len(index)), min_score=0.0)
    alone = rank(index, [("end-to-end", False)], limit=5, min_score=0.0)

    assert [index.titles[p] for p, _, _ in result.for_subscriber(0)] == titles(alone)


def test_more_likes_of_a_topic_pull_it_further_than_one():
    speech = [
        ("Streaming speech recognition", "Low latency recognition of streaming speech."),
        ("Speech recognition for many languages", "Low latency speech recognition in 50 tongues."),
        ("Noisy speech recognition", "Low latency speech recognition in noisy rooms."),
    ]
    detection = ("Object detection on phones", "Low latency object detection on a phone.")
    others = [("Protein folding", "Structures of proteins."), ("Weather", "Forecasting rain.")]
    index = PaperIndex.fit([*speech, detection, *others])
    first, second, third = range(3)

    def lead_of_third(liked):
        """The third speech paper's score over the object detection paper's."""
        ranked = rank(
            index,
            [("low latency", False)],
            seen=liked,
            feedback=[(row, 1, 0) for row in liked],
            min_score=0.0,
        )
        score = {title: score for title, score, _ in ranked}
        return score[speech[third][0]] / score[detection[0]]

    assert lead_of_third([first, second]) > 1.05 * lead_of_third([first])


@pytest.mark.parametrize("candidates", [[], "others"])
def test_a_reader_with_a_like_gets_an_empty_digest_when_nothing_matches_not_an_error(
    index, candidates
):
    # No new papers today, or none of today's papers matches: nothing to pick.
    liked = index.titles.index(SPEECH)
    if candidates == "others":
        candidates = [index.titles.index(DETECTION)]

    ranked = rank(index, [("speech", False)], candidates=candidates, feedback=[(liked, 1, 0)])

    assert ranked == []


def test_a_readers_query_length_counts_interests_and_ratings_pull_together():
    # Scores are cosines: each reader's divided by the length of interests + ratings' pull,
    # computed without adding the two (see _inverse_norms). Readers 0-4 have no interest,
    # 3-7 no rating (3 and 4 neither), the rest both, on shared terms and others.
    interest = sp.random(40, 300, density=0.03, format="csr", dtype=np.float32, random_state=1)
    pull = sp.random(40, 300, density=0.3, format="csr", dtype=np.float32, random_state=2)
    pull.data -= 0.5  # dislikes push the query away: negative weights
    readers = np.arange(40)
    interest = (sp.diags((readers > 4).astype(np.float32)) @ interest).tocsr()
    pull = (sp.diags(((readers < 3) | (readers > 7)).astype(np.float32)) @ pull).tocsr()
    interest.eliminate_zeros()
    pull.eliminate_zeros()
    lengths = np.linalg.norm((interest + pull).toarray(), axis=1)

    inverse = _inverse_norms(interest, pull)

    assert np.allclose(inverse[lengths > 0], 1 / lengths[lengths > 0], rtol=1e-5)
    assert list(np.flatnonzero(inverse == 0)) == [3, 4]
