"""The TF-IDF paper recommender.

Plain NumPy/SciPy/scikit-learn with no ORM inside, so it can be tested and benchmarked
alone. The daily run and the benchmarks call the same two entry points:

- ``PaperIndex.fit(titles, abstracts)`` fits the TF-IDF model on the paper history;
- ``recommend(index, profiles, candidates)`` scores every subscriber against the
  candidate papers in one sparse matrix product per chunk of subscribers, and keeps
  each subscriber's best papers above a minimum score.

A subscriber's query vector is the weighted sum of their interest phrases' vectors
(each phrase is vectorized once, however many subscribers share it). Excluded phrases
remove the papers that are about them; papers a subscriber was already sent are never
recommended again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sparse_dot_topn import sp_matmul_topn

EXCLUDE_THRESHOLD = 0.12
"""Cosine similarity between an excluded phrase and a paper above which the paper is dropped."""

EXPLAIN_TERMS = 3


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is indexed by: the title counts twice."""
    return f"{title}. {title}. {abstract}"


@dataclass(frozen=True)
class PaperIndex:
    """A TF-IDF model of the paper history and the row-normalized paper vectors."""

    vectorizer: TfidfVectorizer
    matrix: sp.csr_matrix
    terms: np.ndarray

    @classmethod
    def fit(cls, titles: Sequence[str], abstracts: Sequence[str]) -> PaperIndex:
        vectorizer = TfidfVectorizer(
            stop_words="english",
            ngram_range=(1, 2),
            sublinear_tf=True,
            dtype=np.float32,
        )
        docs = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        matrix = vectorizer.fit_transform(docs).tocsr()
        return cls(vectorizer, matrix, vectorizer.get_feature_names_out())

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def phrase_vectors(self, phrases: Sequence[str]) -> sp.csr_matrix:
        """One l2-normalized row per phrase, in the papers' term space."""
        if not phrases:
            return sp.csr_matrix((0, len(self.terms)), dtype=np.float32)
        return self.vectorizer.transform(phrases).tocsr()


@dataclass(frozen=True)
class Profiles:
    """What the recommender knows of a set of subscribers, as sparse matrices.

    ``interests`` and ``excludes`` are subscribers x phrases (weights); ``seen`` is
    subscribers x papers of the index (papers never to recommend again); ``limits`` is the
    most papers each subscriber wants.
    """

    phrases: list[str]
    interests: sp.csr_matrix
    excludes: sp.csr_matrix
    seen: sp.csr_matrix
    limits: np.ndarray

    def __len__(self) -> int:
        return self.interests.shape[0]

    @classmethod
    def build(
        cls,
        *,
        n_papers: int,
        limits: Sequence[int],
        interests: Iterable[tuple[int, str, float, bool]],
        seen: Iterable[tuple[int, int]] = (),
    ) -> Profiles:
        """From ``(subscriber_row, phrase, weight, excluded)`` and ``(subscriber_row, paper_row)``."""
        n = len(limits)
        phrase_ids: dict[str, int] = {}
        rows, cols, weights, excluded = [], [], [], []
        for row, phrase, weight, is_excluded in interests:
            key = " ".join(phrase.lower().split())
            rows.append(row)
            cols.append(phrase_ids.setdefault(key, len(phrase_ids)))
            weights.append(weight)
            excluded.append(is_excluded)
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        weights, excluded = np.asarray(weights, np.float32), np.asarray(excluded, bool)
        shape = (n, len(phrase_ids))

        def matrix(mask, values):
            return sp.csr_matrix((values[mask], (rows[mask], cols[mask])), shape=shape)

        seen_pairs = np.asarray(list(seen), dtype=np.int64).reshape(-1, 2)
        seen_matrix = sp.csr_matrix(
            (np.ones(len(seen_pairs), bool), (seen_pairs[:, 0], seen_pairs[:, 1])),
            shape=(n, n_papers),
        )
        return cls(
            phrases=list(phrase_ids),
            interests=matrix(~excluded, weights),
            excludes=matrix(excluded, np.ones_like(weights)),
            seen=seen_matrix,
            limits=np.asarray(limits, dtype=np.int64),
        )


@dataclass(frozen=True)
class Recommendations:
    """Flat arrays sorted by subscriber, then by descending score.

    ``indptr[i]:indptr[i+1]`` are subscriber ``i``'s recommendations; ``paper`` holds
    rows of the paper index; ``terms`` (when asked for) the terms that contributed most.
    """

    indptr: np.ndarray
    paper: np.ndarray
    score: np.ndarray
    terms: list[list[str]] | None

    def for_subscriber(self, row: int) -> list[tuple[int, float, list[str]]]:
        start, end = self.indptr[row], self.indptr[row + 1]
        terms = self.terms[start:end] if self.terms is not None else [[]] * (end - start)
        return list(
            zip(self.paper[start:end].tolist(), self.score[start:end].tolist(), terms, strict=True)
        )


def recommend(
    index: PaperIndex,
    profiles: Profiles,
    candidates: Sequence[int],
    *,
    min_score: float = 0.05,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    explain: bool = True,
) -> Recommendations:
    """Each subscriber's best candidate papers, scored by cosine similarity."""
    candidates = np.asarray(candidates, dtype=np.int64)
    paper_vectors = index.matrix[candidates]
    papers_by_term = paper_vectors.T.tocsr()
    phrase_vectors = index.phrase_vectors(profiles.phrases)
    top_n = int(profiles.limits.max()) if len(profiles) else 0
    # Map a paper-index row to its candidate column (or -1) to read the "seen" matrix.
    candidate_column = np.full(len(index), -1, dtype=np.int64)
    candidate_column[candidates] = np.arange(len(candidates))

    counts, papers, scores, terms = [], [], [], []
    for start in range(0, len(profiles), chunk_size):
        stop = min(start + chunk_size, len(profiles))
        queries = normalize(profiles.interests[start:stop] @ phrase_vectors)
        blocked = _blocked(
            profiles, start, stop, phrase_vectors, papers_by_term, candidate_column
        )
        extra = int(np.diff(blocked.indptr).max()) if blocked.nnz else 0
        if top_n == 0 or len(candidates) == 0:
            product = sp.csr_matrix((stop - start, len(candidates)), dtype=np.float32)
        else:
            product = sp_matmul_topn(
                queries.astype(np.float32),
                papers_by_term,
                top_n=min(top_n + extra, len(candidates)),
                threshold=min_score,
                sort=True,
                n_threads=n_threads,
            )
        rows, cols, values = _keep_best(product, blocked, profiles.limits[start:stop])
        counts.append(np.bincount(rows, minlength=stop - start))
        papers.append(candidates[cols])
        scores.append(values)
        if explain:
            terms.extend(_explain(queries[rows], paper_vectors[cols], index.terms))

    indptr = np.zeros(len(profiles) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=indptr[1:])
    return Recommendations(
        indptr=indptr,
        paper=np.concatenate(papers) if papers else np.zeros(0, np.int64),
        score=np.concatenate(scores) if scores else np.zeros(0, np.float32),
        terms=terms if explain else None,
    )


def _blocked(profiles, start, stop, phrase_vectors, papers_by_term, candidate_column):
    """Subscribers x candidates: papers already seen, or about an excluded phrase."""
    seen = profiles.seen[start:stop].tocoo()
    columns = candidate_column[seen.col]
    on_candidates = columns >= 0
    shape = (stop - start, papers_by_term.shape[1])
    blocked = sp.csr_matrix(
        (np.ones(on_candidates.sum(), bool), (seen.row[on_candidates], columns[on_candidates])),
        shape=shape,
    )
    excludes = profiles.excludes[start:stop]
    if excludes.nnz:
        about_excluded = (excludes @ phrase_vectors) @ papers_by_term
        about_excluded.data = about_excluded.data > EXCLUDE_THRESHOLD
        about_excluded.eliminate_zeros()
        blocked = blocked + about_excluded.astype(bool)
    return blocked.tocsr()


def _keep_best(product: sp.csr_matrix, blocked: sp.csr_matrix, limits: np.ndarray):
    """Drop blocked entries and keep each row's first ``limits[row]`` (rows are score-sorted)."""
    n_rows, n_cols = product.shape
    rows = np.repeat(np.arange(n_rows), np.diff(product.indptr))
    cols, values = product.indices.astype(np.int64), product.data
    if blocked.nnz:
        blocked_rows = np.repeat(np.arange(n_rows), np.diff(blocked.indptr))
        is_blocked = np.isin(rows * n_cols + cols, blocked_rows * n_cols + blocked.indices)
        rows, cols, values = rows[~is_blocked], cols[~is_blocked], values[~is_blocked]
    row_starts = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(len(rows)) - row_starts[rows]
    keep = rank < limits[rows]
    return rows[keep], cols[keep], values[keep]


def _explain(queries: sp.csr_matrix, papers: sp.csr_matrix, vocabulary: np.ndarray):
    """For each (query, paper) row pair, the terms with the largest share of their dot product."""
    contributions = queries.multiply(papers).tocsr()
    contributions.eliminate_zeros()
    rows = np.repeat(np.arange(contributions.shape[0]), np.diff(contributions.indptr))
    order = np.lexsort((-contributions.data, rows))
    rows, cols = rows[order], contributions.indices[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = rank < EXPLAIN_TERMS
    rows, cols = rows[keep], cols[keep]
    explained = [[] for _ in range(contributions.shape[0])]
    for row, term in zip(rows.tolist(), vocabulary[cols].tolist(), strict=True):
        explained[row].append(term)
    return explained
