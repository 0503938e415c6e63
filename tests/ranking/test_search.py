import numpy as np
import pytest

from digest.ranking import search


@pytest.mark.parametrize(
    "query",
    [
        "transformer",
        "vision transformer quantization",
        "hybrid CNN-transformer",
        "BERT fine-tuning",
    ],
)
@pytest.mark.parametrize("limit", [1, 5])
def test_a_search_finds_the_papers_scoring_every_paper_would(sample_index, query, limit):
    # Papers are scored best bound first and the scoring stops early; a paper with a lower
    # cosine whose title names the query must still come first.
    every_row, every_score = search(sample_index, query, limit=len(sample_index))
    rows, scores = search(sample_index, query, limit=limit)

    assert len(every_row) > limit
    assert rows.tolist() == every_row[:limit].tolist()
    np.testing.assert_allclose(scores, every_score[:limit])
