"""The index's fit counts terms with NumPy; it must count what the analyzer reads."""

from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from benchmarks.corpus import load_corpus
from digest import ranking
from digest.ranking import (
    RATED_PAPER_TERMS,
    WORD_MAX_CHARS,
    PaperIndex,
    _tokens,
    _words_of,
    paper_text,
)

# Spellings the word splitting must get right: hyphens at the edges, doubled or between
# other characters, non-ASCII letters (some lower-case to ASCII), upper case, numbers,
# compounds that lose pieces, two hyphenations of one word (the later one wins).
AWKWARD = [
    ("Pre-training -- and pretraining- for U-Net", "-- -x- a--b c-d-e- f-g.h-i 3-d 3d"),
    ("İstanbul KELVIN: Kδ-nets", "Ünïcode wörds; naïve cafés - out-of-distribution (OOD)."),
    ("Graph neural networks (GNNs)", "GNNs and gnns. Finetuning, fine-tuning, fine-tun-ing."),
    ("A title ending with a hyphen-", "-An abstract starting with one, pretrain-ing."),
    ("The", ""),
    ("", "Text-to-image models, text-to-image MODELS, state-of-the-art pre-training."),
]


@pytest.fixture(scope="module")
def corpus(request):
    sample = load_corpus(request.config.rootpath / "data" / "papers.jsonl")
    titles, abstracts = zip(*AWKWARD, strict=True)
    return [*sample.titles, *titles], [*sample.abstracts, *abstracts]


def test_a_paper_is_split_into_the_words_its_text_holds():
    texts = [f"{t}. {a}" for t, a in AWKWARD] + ["ÀB-c", "a\u0130b-\u212a", "x-\ny", "q-é-r"]

    for text in texts:
        assert _words_of(text.lower()) == [w.encode() for w in _tokens(text)], text


@pytest.mark.parametrize("papers_per_block", [ranking.PAPERS_PER_BLOCK, 7])
def test_the_index_holds_each_papers_terms_as_the_analyzer_reads_its_text(
    corpus, papers_per_block, monkeypatch
):
    titles, abstracts = corpus
    monkeypatch.setattr(ranking, "PAPERS_PER_BLOCK", papers_per_block)

    index = PaperIndex.fit(zip(titles, abstracts, strict=True))

    # What scikit-learn's vectorizer makes of each paper's text with the same analyzer.
    analyzer = index.vectorizer.analyzer
    reference = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm=None, dtype=np.float32)
    texts = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
    expected = normalize(reference.fit_transform(texts))
    # A word the papers hyphenate in two ways is split as the last paper does.
    assert analyzer.stems("pretraining") == ["pre", "train"]
    assert index.vectorizer.vocabulary_ == reference.vocabulary_
    np.testing.assert_array_equal(index.vectorizer.idf_, reference.idf_)
    assert abs(index.matrix - expected).max() < 1e-6
    assert (index.title_terms != (reference.transform(titles) > 0)).nnz == 0
    # Each term reads as its stems' most frequent words (the shortest of equally frequent;
    # the words of acronyms' definitions count once more, as the fit reads them again).
    analyzer.surface = Counter()
    reference.transform(texts)
    word = {}
    for (stem, written), count in analyzer.surface.items():
        word[stem] = min(word.get(stem, (0, "")), (-count, len(written), written))
    # The papers are read once (here from an iterator): the same pass finds the acronyms.
    assert index.long_forms["gnn"][1] == "graph neural networks"
    defined = {s for acronym, (stems, _) in index.long_forms.items() for s in [acronym, *stems]}
    readable = {
        term: " ".join(word[s][2] for s in term.split())
        for term in reference.get_feature_names_out()
    }
    shown = dict(zip(reference.get_feature_names_out(), index.terms.tolist(), strict=True))
    assert {t: w for t, w in shown.items() if not defined & set(t.split())} == {
        t: w for t, w in readable.items() if not defined & set(t.split())
    }
    assert {"out-of-distribution", "text-to-image", "state-of-the-art"} <= set(shown.values())
    # Each sentence's words, as the index finds them in papers added after the fit.
    later = ranking._sentences(index.vectorizer, titles, abstracts)
    np.testing.assert_array_equal(index.sentence_starts, later["sentence_starts"])
    assert (index.sentence_terms != later["sentence_terms"]).nnz == 0
    # A rated paper keeps its strongest query-weighted terms.
    weighted = (index.matrix @ index.query_weights).tocsr()
    for row in range(len(titles)):
        strongest = np.sort(weighted[row].data)[::-1][:RATED_PAPER_TERMS]
        kept = index.rated_vectors[row]
        assert kept.nnz == len(strongest)
        np.testing.assert_allclose(
            np.sort(kept.data)[::-1], strongest / np.linalg.norm(strongest), rtol=1e-5
        )


def test_a_run_of_letters_too_long_for_a_word_is_not_indexed():
    """One 20,000-letter "word" in one paper took the build from 184 MB to 2.6 GB: the
    fit's term arrays are as wide as their longest term."""
    index = PaperIndex.fit(
        [
            ("Speech recognition", "We study speech recognition " + "a" * 20_000 + "."),
            ("Image segmentation", "We study image segmentation."),
        ]
    )

    assert max(len(term) for term in index.terms) < 2 * WORD_MAX_CHARS
    assert index.terms.dtype.itemsize < 4 * 2 * WORD_MAX_CHARS + 4
