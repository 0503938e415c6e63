"""Ranking quality: the daily run's recommender against plain TF-IDF and BM25.

    python benchmarks/quality.py [--judgments data/dev_judgments.json] [--papers data/papers.jsonl]

Ranks the de-duplicated corpus for each persona of the judgments file (keywords as
interests, ``exclude`` as excluded phrases) with ``digest.ranking`` exactly as the daily
run does (same settings: minimum score, priors, diversity), and with two baselines that
see only the keywords: plain TF-IDF cosine and BM25. Prints nDCG@10 (grade as gain),
P@5 and Recall@20 per persona and on average, then the effect of the priors, of
near-duplicate demotion, and of a reader's ratings (five rated papers, and 2 to 8).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from benchmarks.corpus import load_corpus, load_judgments  # noqa: E402
from digest.ranking import PaperIndex, Profiles, recommend  # noqa: E402

DEPTH = 20
RATED = 5
RATED_RANGE = range(2, 9)


def ndcg_at_10(ranked: list[str], grades: dict[str, int]) -> float:
    ideal = sorted(grades.values(), reverse=True)[:10]
    ideal_dcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    dcg = sum(grades.get(k, 0) / np.log2(i + 2) for i, k in enumerate(ranked[:10]))
    return dcg / ideal_dcg if ideal_dcg else 0.0


def precision_at_5(ranked: list[str], grades: dict[str, int]) -> float:
    return sum(grades.get(k, 0) >= 1 for k in ranked[:5]) / 5


def recall_at_20(ranked: list[str], grades: dict[str, int]) -> float:
    relevant = {k for k, g in grades.items() if g >= 1}
    return len(relevant.intersection(ranked[:20])) / len(relevant) if relevant else 0.0


METRICS = {"nDCG@10": ndcg_at_10, "P@5": precision_at_5, "R@20": recall_at_20}


def scores(rankings: dict[str, list[str]], qrels) -> dict[str, dict[str, float]]:
    """Metric -> persona -> value."""
    return {
        name: {pid: metric(ranked, qrels.get(pid, {})) for pid, ranked in rankings.items()}
        for name, metric in METRICS.items()
    }


def mean(values: dict[str, float]) -> float:
    return float(np.mean(list(values.values())))


class Ranker:
    """The daily run's recommender over one corpus, with the daily run's settings."""

    def __init__(self, corpus):
        self.corpus = corpus
        self.index = PaperIndex.fit(
            corpus.titles, corpus.abstracts, upvotes=corpus.upvotes, published=corpus.published
        )
        self.options = {
            "min_score": settings.DIGEST_MIN_SCORE,
            "popularity_weight": settings.RANKING_POPULARITY_WEIGHT,
            "recency_weight": settings.RANKING_RECENCY_WEIGHT,
            "diversity": settings.RANKING_DIVERSITY,
        }

    def rank(self, personas, *, limit=DEPTH, seen=None, feedback=None, **options):
        """Persona id -> ranked paper keys."""
        seen, feedback = seen or {}, feedback or {}
        interests = [
            (row, phrase, 1.0, excluded)
            for row, persona in enumerate(personas)
            for excluded, phrases in ((False, persona["keywords"]), (True, persona["exclude"]))
            for phrase in phrases
        ]
        profiles = Profiles.build(
            n_papers=len(self.index),
            limits=[limit] * len(personas),
            interests=interests,
            seen=[(row, p) for row, pr in enumerate(personas) for p in seen.get(pr["id"], ())],
            feedback=[
                (row, paper, value, 0.0)
                for row, persona in enumerate(personas)
                for paper, value in feedback.get(persona["id"], ())
            ],
        )
        result = recommend(
            self.index, profiles, np.arange(len(self.index)), **{**self.options, **options}
        )
        return {
            persona["id"]: [self.corpus.keys[p] for p, _, _ in result.for_subscriber(row)]
            for row, persona in enumerate(personas)
        }


def rank_tfidf(corpus, personas) -> dict[str, list[str]]:
    """Baseline: cosine of TF-IDF vectors (title + abstract) with the joined keywords."""
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    papers = vectorizer.fit_transform(
        [f"{t}. {a}" for t, a in zip(corpus.titles, corpus.abstracts, strict=True)]
    )
    queries = vectorizer.transform([" ".join(p["keywords"]) for p in personas])
    return _top(personas, (queries @ papers.T).toarray(), corpus)


def rank_bm25(corpus, personas, k1=1.2, b=0.75) -> dict[str, list[str]]:
    """Baseline: Okapi BM25 of the keywords' words over title + abstract."""
    vectorizer = CountVectorizer(stop_words="english")
    counts = vectorizer.fit_transform(
        [f"{t}. {a}" for t, a in zip(corpus.titles, corpus.abstracts, strict=True)]
    ).tocsc()
    n_docs = counts.shape[0]
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    df = np.diff(counts.indptr)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    tf = counts.tocoo()
    norm = k1 * (1 - b + b * lengths[tf.row] / lengths.mean())
    weights = counts.copy().tocoo()
    weights.data = idf[tf.col] * tf.data * (k1 + 1) / (tf.data + norm)
    queries = (
        CountVectorizer(vocabulary=vectorizer.vocabulary_, binary=True)
        .transform([" ".join(p["keywords"]) for p in personas])
        .astype(float)
    )
    return _top(personas, (queries @ weights.tocsr().T).toarray(), corpus)


def _top(personas, similarity: np.ndarray, corpus) -> dict[str, list[str]]:
    return {
        persona["id"]: [
            corpus.keys[i] for i in np.argsort(-row, kind="stable")[:DEPTH] if row[i] > 0
        ]
        for persona, row in zip(personas, similarity, strict=True)
    }


def mean_top10_similarity(ranker: Ranker, rankings: dict[str, list[str]]) -> float:
    """Mean cosine (TF-IDF) between pairs of papers in the same top 10."""
    row_of = {k: i for i, k in enumerate(ranker.corpus.keys)}
    pairs = []
    for ranked in rankings.values():
        vectors = ranker.index.matrix[[row_of[k] for k in ranked[:10]]]
        similarity = (vectors @ vectors.T).toarray()
        pairs.extend(similarity[np.triu_indices(len(ranked[:10]), k=1)])
    return float(np.mean(pairs)) if pairs else 0.0


def feedback_gain(ranker: Ranker, personas, qrels, n_rated=RATED) -> tuple[float, float]:
    """Mean nDCG@10 of the remaining papers without and with the reader's ratings.

    The reader rates the first ``n_rated`` papers of their first digest: grade >= 1 is a
    like, grade 0 a dislike. Both rankings leave those papers out.
    """
    first = ranker.rank(personas, limit=10)
    row_of = {k: i for i, k in enumerate(ranker.corpus.keys)}
    rated = {pid: [row_of[k] for k in ranked[:n_rated]] for pid, ranked in first.items()}
    ratings = {
        pid: [
            (row, 1.0 if qrels.get(pid, {}).get(ranker.corpus.keys[row], 0) >= 1 else -1.0)
            for row in rows
        ]
        for pid, rows in rated.items()
    }
    remaining = {
        pid: {k: g for k, g in qrels.get(pid, {}).items() if row_of.get(k) not in rated[pid]}
        for pid in rated
    }
    before = ranker.rank(personas, seen=rated)
    after = ranker.rank(personas, seen=rated, feedback=ratings)
    return (
        mean(scores(before, remaining)["nDCG@10"]),
        mean(scores(after, remaining)["nDCG@10"]),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", default="data/dev_judgments.json")
    parser.add_argument("--papers", default="data/papers.jsonl")
    args = parser.parse_args(argv)

    corpus = load_corpus(args.papers)
    personas, qrels = load_judgments(args.judgments)
    ranker = Ranker(corpus)
    print(
        f"{len(corpus.keys)} unique papers from {args.papers}, "
        f"{len(personas)} personas from {args.judgments}"
    )
    print(
        "settings: " + ", ".join(f"{name}={value}" for name, value in ranker.options.items()) + "\n"
    )

    systems = {
        "ours": ranker.rank(personas),
        "tfidf": rank_tfidf(corpus, personas),
        "bm25": rank_bm25(corpus, personas),
    }
    results = {name: scores(rankings, qrels) for name, rankings in systems.items()}
    header = f"{'persona':<24}" + "".join(
        f"{metric + ' ' + name:>15}" for metric, name in itertools.product(METRICS, systems)
    )
    print(header)
    for persona in personas:
        pid = persona["id"]
        print(
            f"{pid[:24]:<24}"
            + "".join(
                f"{results[name][metric][pid]:>15.3f}"
                for metric, name in itertools.product(METRICS, systems)
            )
        )
    means = {name: {m: mean(results[name][m]) for m in METRICS} for name in systems}
    print(
        f"{'mean':<24}"
        + "".join(
            f"{means[name][metric]:>15.3f}" for metric, name in itertools.product(METRICS, systems)
        )
    )
    worse = [
        p["id"]
        for p in personas
        if results["ours"]["nDCG@10"][p["id"]] < results["tfidf"]["nDCG@10"][p["id"]]
    ]
    print(f"personas below plain TF-IDF on nDCG@10: {', '.join(worse) or 'none'}\n")

    no_prior = scores(ranker.rank(personas, popularity_weight=0.0, recency_weight=0.0), qrels)
    print(
        f"priors: nDCG@10 {mean(no_prior['nDCG@10']):.4f} without, "
        f"{means['ours']['nDCG@10']:.4f} with popularity_weight="
        f"{ranker.options['popularity_weight']} recency_weight="
        f"{ranker.options['recency_weight']}"
    )
    plain = ranker.rank(personas, diversity=0.0)
    print(
        f"diversity: mean pairwise similarity of the top 10 "
        f"{mean_top10_similarity(ranker, plain):.3f} without near-duplicate demotion, "
        f"{mean_top10_similarity(ranker, systems['ours']):.3f} with "
        f"(nDCG@10 {mean(scores(plain, qrels)['nDCG@10']):.3f} without, "
        f"{means['ours']['nDCG@10']:.3f} with)"
    )
    by_rated = {n: feedback_gain(ranker, personas, qrels, n) for n in RATED_RANGE}
    before, after = by_rated[RATED]
    print(
        f"feedback: reader rates {RATED} papers of the first digest; nDCG@10 of the rest "
        f"{before:.3f} without ratings, {after:.3f} with ({after - before:+.3f})"
    )
    gains = [after - before for before, after in by_rated.values()]
    print(
        f"feedback gain by papers rated ({RATED_RANGE.start}-{RATED_RANGE.stop - 1}): "
        + " ".join(f"{g:+.3f}" for g in gains)
        + f", mean {np.mean(gains):+.3f}\n"
    )
    print(
        f"quality: nDCG@10 {means['ours']['nDCG@10']:.3f} "
        f"(tfidf {means['tfidf']['nDCG@10']:.3f}, bm25 {means['bm25']['nDCG@10']:.3f}) "
        f"P@5 {means['ours']['P@5']:.2f} R@20 {means['ours']['R@20']:.2f}"
    )


if __name__ == "__main__":
    main()
