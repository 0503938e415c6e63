from digest.ranking import PaperIndex

from .conftest import rank, titles

TWIN_A = "Sparse attention for long documents"
TWIN_B = "Sparse attention for long documents, revisited"
OTHER = "Linear attention kernels"
PAPERS = [
    (TWIN_A, "Sparse attention lets transformers read long documents quickly."),
    (TWIN_B, "Sparse attention lets transformers read long documents quickly, revisited."),
    (OTHER, "Kernelized linear attention approximates softmax attention for long inputs."),
    ("Protein structure prediction", "We predict protein structures from amino acid sequences."),
]


def test_a_near_duplicate_does_not_follow_its_twin():
    titles_, abstracts = zip(*PAPERS, strict=True)
    index = PaperIndex.fit(zip(titles_, abstracts, strict=True))
    interests = [("sparse attention long documents", False), ("linear attention", False)]

    plain = titles(rank(index, interests, limit=3, diversity=0))
    diverse = titles(rank(index, interests, limit=3, diversity=0.5))

    assert set(plain[:2]) == {TWIN_A, TWIN_B}
    assert diverse[0] == plain[0]
    assert diverse[1] == OTHER
    assert set(diverse) == set(plain)


def test_each_set_of_candidates_finds_its_own_near_duplicates():
    """The index keeps the last candidates' near-duplicates for the next batch of a run;
    a run whose candidates differ (here only in order) must not read them."""
    titles_, abstracts = zip(*PAPERS, strict=True)
    index = PaperIndex.fit(zip(titles_, abstracts, strict=True))
    interests = [("sparse attention long documents", False), ("linear attention", False)]
    twin_a, twin_b, other = (titles_.index(t) for t in (TWIN_A, TWIN_B, OTHER))

    for candidates in ([other, twin_a, twin_b], [twin_a, twin_b, other], [other, twin_a, twin_b]):
        picked = titles(rank(index, interests, limit=3, candidates=candidates, diversity=0.5))

        assert picked[1] == OTHER, candidates
