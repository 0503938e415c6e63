from datetime import date

from digest.ranking import PaperIndex

from .conftest import rank, titles

TWINS = [
    ("Sparse attention for long documents", "Sparse attention lets models read long documents."),
    ("Sparse attention for long sequences", "Sparse attention lets models read long sequences."),
    ("Protein structure prediction", "We predict protein structures from amino acid sequences."),
]
INTERESTS = [("sparse attention", False)]


def fit(upvotes=None, published=None):
    titles_, abstracts = zip(*TWINS, strict=True)
    return PaperIndex.fit(TWINS).with_priors(
        upvotes=upvotes or [None] * len(TWINS), published=published or [None] * len(TWINS)
    )


def runner_up():
    """The twin that comes second on relevance alone, and its row."""
    second = titles(rank(fit(), INTERESTS, diversity=0))[1]
    return second, [t for t, _ in TWINS].index(second)


def test_upvotes_break_a_near_tie_when_weighted():
    second, row = runner_up()
    upvotes = [0, 0, 0]
    upvotes[row] = 40
    index = fit(upvotes=upvotes)

    assert titles(rank(index, INTERESTS, diversity=0))[0] != second
    assert titles(rank(index, INTERESTS, diversity=0, popularity_weight=0.1))[0] == second


def test_recency_breaks_a_near_tie_when_weighted():
    second, row = runner_up()
    published = [date(2020, 1, 1), date(2020, 1, 1), None]
    published[row] = date(2025, 1, 1)
    index = fit(published=published)
    today = date(2025, 1, 2)

    assert titles(rank(index, INTERESTS, diversity=0, today=today))[0] != second
    newest = rank(index, INTERESTS, diversity=0, recency_weight=0.1, today=today)
    assert titles(newest)[0] == second


def test_the_prior_only_nudges_the_score():
    index = fit(upvotes=[0, 40, 1000])
    plain = {t: s for t, s, _ in rank(index, INTERESTS, diversity=0)}
    nudged = {t: s for t, s, _ in rank(index, INTERESTS, diversity=0, popularity_weight=0.05)}

    assert set(nudged) == set(plain)
    assert TWINS[2][0] not in nudged
    for title, score in nudged.items():
        assert plain[title] <= score <= plain[title] * 1.05 + 1e-6
