import pytest

from digest.ranking import PARTLY_PREFIX, Analyzer, Profiles, recommend

from .conftest import rank

GENERIC = {"model", "models", "learning", "network", "networks", "neural", "transformer"}


def test_the_reasons_are_the_interests_as_the_reader_typed_them(index):
    interests = ["Detecting Objects", "speech  recognition"]

    ranked = rank(index, [(phrase, False) for phrase in interests])

    assert ranked
    for _, _, terms in ranked:
        assert terms
        assert set(terms) <= {"Detecting Objects", "speech recognition"}


@pytest.mark.parametrize(
    "interests",
    [
        ["consistency models", "graph neural networks"],
        ["text-to-speech", "ASR", "LLM agents"],
        ["ViT", "tokenization", "post-training quantization"],
    ],
)
def test_no_reason_is_a_stem_fragment_or_a_lone_generic_word(sample_index, interests):
    stems = set(Analyzer().stems(" ".join(interests)))

    ranked = rank(sample_index, [(phrase, False) for phrase in interests])

    assert ranked
    for _, _, terms in ranked:
        for term in terms:
            term = term.removeprefix(PARTLY_PREFIX)
            assert term in interests
            assert term.lower() not in GENERIC
            assert term.lower() not in stems - {t.lower() for t in interests}


def test_a_paper_holding_only_part_of_an_interest_says_so(index):
    ranked = {title: terms for title, _, terms in rank(index, [("video diffusion models", False)])}

    assert ranked == {
        "Text-to-video generation with latent diffusion": ["video diffusion models"],
        # "Latent diffusion models generate ... images"; "video" only in another sentence.
        "Scalable diffusion models for image generation": [
            PARTLY_PREFIX + "video diffusion models"
        ],
    }


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


def test_the_first_reason_is_the_interest_that_added_most_to_the_score(index):
    assert first_reason(index, {"object": 5.0, "transformers": 0.2}) == "object"
    assert first_reason(index, {"object": 0.2, "transformers": 5.0}) == "transformers"
