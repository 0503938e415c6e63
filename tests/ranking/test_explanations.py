from digest.ranking import Analyzer, PaperIndex, Profiles, recommend

from .conftest import PAPERS, rank

TEXT = {title: f"{title}. {abstract}" for title, abstract in PAPERS}


def test_the_reasons_are_terms_of_both_the_interests_and_the_paper(index):
    interests = ["detecting objects", "speech recognition"]
    stems = Analyzer().stems
    interest_stems = set(stems(" ".join(interests)))

    ranked = rank(index, [(phrase, False) for phrase in interests])

    assert ranked
    for title, _, terms in ranked:
        assert terms
        for term in terms:
            assert set(stems(term)) <= interest_stems & set(stems(TEXT[title]))


def first_reason(index, weights):
    profiles = Profiles.build(
        n_papers=len(index),
        limits=[1],
        interests=[(0, phrase, weight, False) for phrase, weight in weights.items()],
    )
    paper = index.titles.index("Object detection with transformers")
    result = recommend(index, profiles, [paper], min_score=0.0)
    [(_, _, terms)] = result.for_subscriber(0)
    return terms[0]


def test_the_first_reason_is_the_term_that_added_most_to_the_score(index):
    assert first_reason(index, {"object": 5.0, "transformer": 0.2}) == "object"
    assert first_reason(index, {"object": 0.2, "transformer": 5.0}).startswith("transformer")


def test_a_reason_is_shown_in_the_simplest_of_the_words_it_stands_for():
    index = PaperIndex.fit(
        [
            "Pushing on personality detection from verbal behavior",
            "Part-aware transformer for person re-identification",
        ],
        [
            "We detect traits of personality in text.",
            "We match a person across cameras.",
        ],
    )

    [(_, _, terms)] = rank(index, [("person re-identification", False)], limit=1)

    assert "person" in terms
    assert "personality" not in terms
