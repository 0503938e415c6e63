"""Ranking quality: the daily run's recommender against plain TF-IDF and BM25.

    python benchmarks/quality.py [--judgments data/dev_judgments.json] [--papers data/papers.jsonl]

Ranks the de-duplicated corpus for each persona of the judgments file (keywords as
interests, ``exclude`` as excluded phrases) with ``digest.ranking`` exactly as the daily
run does (same settings: minimum score, priors, diversity), and with two baselines that
see only the keywords: plain TF-IDF cosine and BM25. Prints nDCG@10 (grade as gain),
P@5 and Recall@20 per persona and on average; then the tuned settings chosen by
cross-validation over personas (five folds with a fixed seed, and leave-one-out): each
fold picks the grid point best on the other personas and is scored on its own, so the
out-of-fold mean is what a setting is worth on readers it was not tuned on. Then the
precision of what is sent (share of papers graded >= 1 among those a size-10 digest
holds, the floor on) against plain TF-IDF's top 10, the keywords spelled other ways
(``SPELLINGS``), their long forms typed as the acronyms the corpus defines and the
acronyms written out, only the first one or two of them or typed as one phrase, as requests
("papers on ...") or as a sentence (``PHRASINGS``), readers of
two fields (two personas' keywords together), near-duplicate demotion, a reader's ratings
(five rated papers, and 2 to 8) and how many of ten slots a single like changes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
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
from digest.ranking import (  # noqa: E402
    DISLIKE_WEIGHT,
    FLOOR,
    LEAD_WEIGHT,
    LIKED_FLOOR,
    RATING_COUNT_EXPONENT,
    PaperIndex,
    Profiles,
    recommend,
)

DEPTH = 20
SIZE = 10
RATED = 5
RATED_RANGE = range(2, 9)
FOLDS = 5
SEED = 0
SUBSETS = 10
SUBSET_SHARE = 0.7
"""Paper subsets: ``SUBSETS`` random samples (seeds 0, 1, ...) of this share of the papers,
each ranked as a corpus of its own and graded on the papers it holds, to see how much of
the gain over the baselines holds on papers the ranker was not tuned on."""
DAY = 30
"""Papers in one simulated daily edition: the corpus shuffled (seed ``SEED``) and cut into
days, as the daily run ranks only the new papers (the sample's listings are mostly
undated)."""
GRID = {
    "floor": [0.5, 0.6, 0.75],
    "lead_weight": [0.0, 0.5, 1.0, 2.0],
    "popularity_weight": [0.0, 0.05],
    "recency_weight": [0.0, 0.02],
}
"""The settings of ``recommend`` chosen by cross-validation, and the values tried."""
FEEDBACK_GRID = {
    "dislike_weight": [0.0, 0.5, 1.0, 1.5, 2.0],
    "liked_floor": [0.5, 0.4, 0.3, 0.2],
    "count_exponent": [0.0, 0.25, 0.5],
}
"""Rocchio weight of disliked papers, the share of a liked paper's title a paper must
hold to come in through the like, and how the pull of ratings grows with their number:
the values tried, chosen by cross-validation of the feedback gain."""


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


def _plural_swapped(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    last = last[:-1] if last.endswith("s") and not last.endswith("ss") else last + "s"
    return f"{head} {last}".strip()


def _letter_dropped(phrase: str) -> str:
    """The phrase with the middle letter of its longest word of six letters or more dropped
    ("speech recogniion"), as a typo."""
    words = phrase.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 6 and word.isalpha():
        words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


SPELLINGS = {
    "plural swapped": _plural_swapped,
    "spaces as hyphens": lambda phrase: (
        phrase.replace(" ", "-") if phrase.count(" ") == 1 else phrase
    ),
    "hyphens as spaces": lambda phrase: phrase.replace("-", " "),
    "lower case": str.lower,
    "British": lambda phrase: re.sub(r"(?<=[a-z]{3}[iy])z(?=e|ing|ation)", "s", phrase),
    "a letter dropped": _letter_dropped,
}
"""Other ways readers spell the same interests ("LLM agent", "LLM-agents", "out of
distribution", "vit", "quantisation", "difusion"): each persona's keywords re-spelled one
way, to see that the ranking does not depend on it."""


def _as_acronym(index: PaperIndex, phrase: str) -> str:
    """The phrase with its longest run of words that spells a long form the corpus defines
    written as the acronym ("vision transformer": "VIT")."""
    analyzer, words = index.vectorizer.analyzer, phrase.split()
    acronym_of = {
        tuple(analyzer.stems(text)): acronym for acronym, (_, text) in index.long_forms.items()
    }
    for n in range(len(words), 1, -1):
        for i in range(len(words) - n + 1):
            acronym = acronym_of.get(tuple(analyzer.stems(" ".join(words[i : i + n]))))
            if acronym:
                return " ".join([*words[:i], acronym.upper(), *words[i + n :]])
    return phrase


def _as_long_form(index: PaperIndex, phrase: str) -> str:
    """The phrase with each acronym the corpus defines written out ("ViT": "vision
    transformers")."""
    analyzer = index.vectorizer.analyzer
    return " ".join(
        index.long_forms[stems[0]][1]
        if word != word.lower()
        and len(stems := analyzer.stems(word)) == 1
        and stems[0] in index.long_forms
        else word
        for word in phrase.split()
    )


PHRASINGS = {
    "one phrase": lambda keywords: [" and ".join(keywords)],
    "slashes": lambda keywords: ["/".join(keywords)],
    "papers on X": lambda keywords: [f"papers on {k}" for k in keywords],
    "X papers": lambda keywords: [f"{k} papers" for k in keywords],
    "I'm interested in X": lambda keywords: [f"I'm interested in {k}" for k in keywords],
    "a sentence": lambda keywords: [f"I want papers about {', '.join(keywords)}"],
}
"""Other ways readers type the same interests: all in one phrase joined by "and" or by
slashes, each asked for rather than named, or all in one sentence."""
FIELDS = (2, 3, 5)
"""Readers of several fields: how many personas' keywords one reader types together."""


def field_readers(personas, qrels, n_fields) -> tuple[list[dict], dict[str, dict[str, int]]]:
    """Readers of ``n_fields`` fields: each persona's keywords and exclusions with the next
    ones' (wrapping around), a paper graded by the best of its grades."""
    readers, grades = [], {}
    for first in range(len(personas)):
        fields = [personas[(first + i) % len(personas)] for i in range(n_fields)]
        pid = "+".join(field["id"] for field in fields)
        readers.append(
            {
                "id": pid,
                "keywords": [k for field in fields for k in field["keywords"]],
                "exclude": [k for field in fields for k in field["exclude"]],
                "fields": [field["id"] for field in fields],
            }
        )
        grades[pid] = {}
        for field in fields:
            for key, grade in qrels.get(field["id"], {}).items():
                grades[pid][key] = max(grade, grades[pid].get(key, 0))
    return readers, grades


def fields_covered(rankings: dict[str, list[str]], readers, qrels) -> float:
    """The mean share of a reader's fields with a paper graded >= 1 in their first ``SIZE``."""
    shares = []
    for reader in readers:
        sent = rankings[reader["id"]][:SIZE]
        shares.append(
            np.mean(
                [any(qrels.get(f, {}).get(key, 0) >= 1 for key in sent) for f in reader["fields"]]
            )
        )
    return float(np.mean(shares))


def per_field_ndcg(rankings: dict[str, list[str]], readers, qrels) -> float:
    """Intent-aware nDCG@10: each reader's ranking graded for each of its fields alone, the
    mean over its fields, then over readers (each field counts, not only the best-matched)."""
    by_field = {
        f"{reader['id']}/{field}": rankings[reader["id"]]
        for reader in readers
        for field in reader["fields"]
    }
    grades = {f"{r['id']}/{field}": qrels.get(field, {}) for r in readers for field in r["fields"]}
    ndcg = scores(by_field, grades)["nDCG@10"]
    return float(np.mean([np.mean([ndcg[f"{r['id']}/{f}"] for f in r["fields"]]) for r in readers]))


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
        self.index = PaperIndex.fit(zip(corpus.titles, corpus.abstracts, strict=True)).with_priors(
            upvotes=corpus.upvotes, published=corpus.published
        )
        self.options = {
            "min_score": settings.DIGEST_MIN_SCORE,
            "popularity_weight": settings.RANKING_POPULARITY_WEIGHT,
            "recency_weight": settings.RANKING_RECENCY_WEIGHT,
            "diversity": settings.RANKING_DIVERSITY,
            "lead_weight": LEAD_WEIGHT,
            "floor": FLOOR,
            "liked_floor": LIKED_FLOOR,
        }

    def rank(
        self,
        personas,
        *,
        limit=DEPTH,
        seen=None,
        feedback=None,
        candidates=None,
        dislike_weight=DISLIKE_WEIGHT,
        count_exponent=RATING_COUNT_EXPONENT,
        **options,
    ):
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
            dislike_weight=dislike_weight,
            count_exponent=count_exponent,
        )
        if candidates is None:
            candidates = np.arange(len(self.index))
        result = recommend(self.index, profiles, candidates, **{**self.options, **options})
        return {
            persona["id"]: [self.corpus.keys[p] for p, _, _ in result.for_subscriber(row)]
            for row, persona in enumerate(personas)
        }


def tfidf_similarity(corpus, personas) -> np.ndarray:
    """Baseline: cosine of TF-IDF vectors (title + abstract) with the joined keywords,
    personas x papers."""
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    papers = vectorizer.fit_transform(
        [f"{t}. {a}" for t, a in zip(corpus.titles, corpus.abstracts, strict=True)]
    )
    queries = vectorizer.transform([" ".join(p["keywords"]) for p in personas])
    return (queries @ papers.T).toarray()


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


def _top(personas, similarity: np.ndarray, corpus, papers=None, depth=DEPTH):
    """Persona id -> the keys of the best ``depth`` of ``papers`` (default all) scoring > 0."""
    papers = np.arange(similarity.shape[1]) if papers is None else papers
    return {
        persona["id"]: [
            corpus.keys[papers[i]] for i in np.argsort(-row, kind="stable")[:depth] if row[i] > 0
        ]
        for persona, row in zip(personas, similarity[:, papers], strict=True)
    }


def grid_points() -> list[dict]:
    return [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]


def cross_validated(table: np.ndarray, folds: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold score of each persona, and the grid point each fold chose.

    ``table`` is grid points x personas (nDCG@10); each fold takes the grid point with the
    best mean on the other personas (the first of equals) and scores its own personas.
    """
    out_of_fold, chosen = np.zeros(table.shape[1]), []
    for held_out in folds:
        train = np.setdiff1d(np.arange(table.shape[1]), held_out)
        best = int(np.argmax(table[:, train].mean(axis=1)))
        out_of_fold[held_out] = table[best, held_out]
        chosen.append(best)
    return out_of_fold, chosen


def persona_folds(n: int, k: int) -> list[np.ndarray]:
    order = np.random.default_rng(SEED).permutation(n)
    return [np.sort(part) for part in np.array_split(order, k)]


def daily_editions(ranker: Ranker, personas, qrels, similarity: np.ndarray):
    """Over simulated days of ``DAY`` papers, each persona's digest of ``SIZE`` from that
    day's papers: how many persona-days get one, how many papers are sent and their
    precision (share graded >= 1), and the share of the day's papers graded >= 1 (up to
    ``SIZE`` a persona) that are sent; and plain TF-IDF's top ``SIZE`` of each day
    (``similarity`` personas x papers), its precision."""
    order = np.random.default_rng(SEED).permutation(len(ranker.corpus.keys))
    days = [np.sort(day) for day in np.array_split(order, max(len(order) // DAY, 1))]
    ours, tfidf = [], []  # (persona id, paper key) of each paper sent
    with_digest = relevant = 0
    for day in days:
        digests = ranker.rank(personas, limit=SIZE, candidates=day)
        with_digest += sum(bool(ranked) for ranked in digests.values())
        ours += sent_papers(digests)
        tfidf += sent_papers(_top(personas, similarity, ranker.corpus, papers=day, depth=SIZE))
        keys = [ranker.corpus.keys[i] for i in day]
        relevant += sum(
            min(sum(qrels.get(p["id"], {}).get(k, 0) >= 1 for k in keys), SIZE) for p in personas
        )
    relevant = max(relevant, 1)
    return (
        len(days),
        with_digest,
        len(ours),
        precision(ours, qrels),
        relevant_sent(ours, qrels) / relevant,
        precision(tfidf, qrels),
        relevant_sent(tfidf, qrels) / relevant,
    )


def paper_subsets(corpus, personas, qrels) -> list[tuple[float, float, float, int, int]]:
    """Per paper subset (see ``SUBSETS``): mean nDCG@10 of ours, plain TF-IDF and BM25 over
    the personas with a paper graded >= 1 in it, how many of them are below plain TF-IDF,
    and their number."""
    results = []
    for seed in range(SUBSETS):
        size = int(SUBSET_SHARE * len(corpus.keys))
        rows = np.sort(np.random.default_rng(seed).choice(len(corpus.keys), size, replace=False))
        subset = corpus.subset(rows)
        kept = set(subset.keys)
        grades = {pid: {k: g for k, g in q.items() if k in kept} for pid, q in qrels.items()}
        graded = [p for p in personas if any(g >= 1 for g in grades.get(p["id"], {}).values())]
        ndcg = {
            name: scores(rankings, grades)["nDCG@10"]
            for name, rankings in (
                ("ours", Ranker(subset).rank(graded)),
                ("tfidf", _top(graded, tfidf_similarity(subset, graded), subset)),
                ("bm25", rank_bm25(subset, graded)),
            )
        }
        below = sum(ndcg["ours"][pid] < ndcg["tfidf"][pid] for pid in ndcg["ours"])
        results.append((*(mean(ndcg[name]) for name in ndcg), below, len(graded)))
    return results


def sent_papers(rankings: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(persona id, paper key) of each paper sent: each persona's first ``SIZE``."""
    return [(pid, k) for pid, ranked in rankings.items() for k in ranked[:SIZE]]


def relevant_sent(sent: list[tuple[str, str]], qrels) -> int:
    """How many of the ``sent`` papers are graded >= 1 for their persona."""
    return sum(qrels.get(pid, {}).get(k, 0) >= 1 for pid, k in sent)


def precision(sent: list[tuple[str, str]], qrels) -> float:
    """Share of the ``sent`` papers graded >= 1 for their persona."""
    return relevant_sent(sent, qrels) / max(len(sent), 1)


def one_like_changes(ranker: Ranker, personas, qrels, **options) -> tuple[list[int], list[int]]:
    """Per persona, how many of the ``SIZE`` papers one "more like this" replaces, and
    how many it brings in (replacing papers, or filling places the floor left empty).

    The reader likes the best-placed paper of their first digest graded >= 1 (personas
    with none are left out); the digests with and without the like both leave it out.
    """
    first = ranker.rank(personas, limit=SIZE)
    row_of = {k: i for i, k in enumerate(ranker.corpus.keys)}
    liked = {
        p["id"]: next(row_of[k] for k in first[p["id"]] if qrels[p["id"]].get(k, 0) >= 1)
        for p in personas
        if any(qrels.get(p["id"], {}).get(k, 0) >= 1 for k in first[p["id"]])
    }
    chosen = [p for p in personas if p["id"] in liked]
    seen = {pid: [row] for pid, row in liked.items()}
    before = ranker.rank(chosen, limit=SIZE, seen=seen)
    after = ranker.rank(
        chosen,
        limit=SIZE,
        seen=seen,
        feedback={pid: [(row, 1.0)] for pid, row in liked.items()},
        **options,
    )
    return (
        [len(set(before[p["id"]]) - set(after[p["id"]])) for p in chosen],
        [len(set(after[p["id"]]) - set(before[p["id"]])) for p in chosen],
    )


def mean_top10_similarity(ranker: Ranker, rankings: dict[str, list[str]]) -> float:
    """Mean cosine (TF-IDF) between pairs of papers in the same top 10."""
    row_of = {k: i for i, k in enumerate(ranker.corpus.keys)}
    pairs = []
    for ranked in rankings.values():
        vectors = ranker.index.matrix[[row_of[k] for k in ranked[:10]]]
        similarity = (vectors @ vectors.T).toarray()
        pairs.extend(similarity[np.triu_indices(len(ranked[:10]), k=1)])
    return float(np.mean(pairs)) if pairs else 0.0


def feedback_gain(
    ranker: Ranker, personas, qrels, n_rated=RATED, **options
) -> tuple[dict[str, float], dict[str, float]]:
    """Per persona, nDCG@10 of the remaining papers without and with the reader's ratings.

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
    after = ranker.rank(personas, seen=rated, feedback=ratings, **options)
    return scores(before, remaining)["nDCG@10"], scores(after, remaining)["nDCG@10"]


def with_papers_left(ranker: Ranker, personas, qrels, n_rated=RATED) -> list[str]:
    """Personas with a paper graded >= 1 outside the first ``n_rated`` of their first
    digest: those whose ratings have something left to find (for the others nDCG@10 of
    the rest is 0 with or without ratings)."""
    first = ranker.rank(personas, limit=10)
    return [
        pid
        for pid, ranked in first.items()
        if any(g >= 1 and k not in ranked[:n_rated] for k, g in qrels.get(pid, {}).items())
    ]


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
        "tfidf": _top(personas, similarity := tfidf_similarity(corpus, personas), corpus),
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

    ids = [p["id"] for p in personas]
    tfidf = np.asarray([results["tfidf"]["nDCG@10"][pid] for pid in ids])
    points = grid_points()
    table = np.asarray(
        [
            list(scores(ranker.rank(personas, **point), qrels)["nDCG@10"].values())
            for point in points
        ]
    )
    shipped = np.asarray([results["ours"]["nDCG@10"][pid] for pid in ids])
    print(f"cross-validation over personas of {', '.join(GRID)} (grid of {len(points)}):")
    for name, folds in (
        (f"{FOLDS}-fold", persona_folds(len(ids), FOLDS)),
        ("leave-one-out", [np.asarray([i]) for i in range(len(ids))]),
    ):
        out_of_fold, chosen = cross_validated(table, folds)
        worst = int(np.argmin(out_of_fold))
        below = [ids[i] for i in np.flatnonzero(out_of_fold < tfidf)]
        picks = sorted({str(points[c]) for c in chosen})
        print(
            f"  {name}: out-of-fold nDCG@10 {out_of_fold.mean():.3f} (in-sample "
            f"{shipped.mean():.3f} as shipped, tfidf {tfidf.mean():.3f}); worst persona "
            f"{ids[worst]} {out_of_fold[worst]:.3f}; {len(below)} of {len(ids)} below plain "
            f"TF-IDF: {', '.join(below) or 'none'}; folds chose {'; '.join(picks)}"
        )
    folds5 = cross_validated(table, persona_folds(len(ids), FOLDS))[0]
    for setting, values in GRID.items():
        by_value = {
            value: table[[i for i, p in enumerate(points) if p[setting] == value]]
            for value in values
        }
        by_value = {v: rows[np.argmax(rows.mean(axis=1))] for v, rows in by_value.items()}
        print(
            f"  {setting}: in-sample nDCG@10 at the best of the other settings "
            + ", ".join(f"{v}: {by_value[v].mean():.3f}" for v in values)
            + f" (shipped {ranker.options[setting]})"
        )
    by_subset = np.asarray(paper_subsets(corpus, personas, qrels))
    subset_margin = by_subset[:, 0] - by_subset[:, 1:3].max(axis=1)
    print(
        f"paper subsets ({SUBSETS} random samples of {SUBSET_SHARE:.0%} of the papers, each "
        f"ranked as a corpus of its own): nDCG@10 {by_subset[:, 0].mean():.3f} (tfidf "
        f"{by_subset[:, 1].mean():.3f}, bm25 {by_subset[:, 2].mean():.3f}); over the better "
        f"baseline {subset_margin.mean():+.3f} (least {subset_margin.min():+.3f}); below plain "
        f"TF-IDF {by_subset[:, 3].mean():.1f} of {by_subset[:, 4].mean():.0f} personas"
    )

    ours_sent, tfidf_sent = sent_papers(systems["ours"]), sent_papers(systems["tfidf"])
    sent_precision, tfidf_precision = precision(ours_sent, qrels), precision(tfidf_sent, qrels)
    n_sent, n_tfidf = len(ours_sent), len(tfidf_sent)
    print(
        f"\nprecision of what is sent (size {SIZE}, floor on): {sent_precision:.3f} of {n_sent} "
        f"papers graded >= 1, against plain TF-IDF's top {SIZE}: {tfidf_precision:.3f} of "
        f"{n_tfidf} ({sent_precision - tfidf_precision:+.3f}); personas sent fewer than {SIZE}: "
        + (
            ", ".join(
                f"{pid} {len(r[:SIZE])}" for pid, r in systems["ours"].items() if len(r) < SIZE
            )
            or "none"
        )
    )
    n_days, with_digest, n_daily, daily, daily_recall, tfidf_daily, tfidf_recall = daily_editions(
        ranker, personas, qrels, similarity
    )
    print(
        f"daily editions ({n_days} days of about {DAY} papers): a digest on {with_digest} of "
        f"{n_days * len(personas)} persona-days, {n_daily} papers sent, {daily:.3f} graded "
        f">= 1, against plain TF-IDF's top {SIZE} of each day: {tfidf_daily:.3f} "
        f"({daily - tfidf_daily:+.3f}); of the day's papers graded >= 1 (up to {SIZE} a "
        f"persona) {daily_recall:.3f} sent (plain TF-IDF {tfidf_recall:.3f})"
    )
    plain = ranker.rank(personas, diversity=0.0)
    print(
        f"diversity: mean pairwise similarity of the top 10 "
        f"{mean_top10_similarity(ranker, plain):.3f} without near-duplicate demotion, "
        f"{mean_top10_similarity(ranker, systems['ours']):.3f} with "
        f"(nDCG@10 {mean(scores(plain, qrels)['nDCG@10']):.3f} without, "
        f"{means['ours']['nDCG@10']:.3f} with)"
    )

    def ours_and_plain(keywords) -> tuple[float, float]:
        """Mean nDCG@10 of ours and of plain TF-IDF with each persona's keywords changed."""
        variants = [dict(p, keywords=keywords(p["keywords"])) for p in personas]
        plain = _top(variants, tfidf_similarity(corpus, variants), corpus)
        return (
            mean(scores(ranker.rank(variants), qrels)["nDCG@10"]),
            mean(scores(plain, qrels)["nDCG@10"]),
        )

    respelled = {
        name: ours_and_plain(lambda keywords, spell=spell: [spell(k) for k in keywords])
        for name, spell in SPELLINGS.items()
    }
    acronyms = {
        name: ours_and_plain(
            lambda keywords, spell=spell: [spell(ranker.index, k) for k in keywords]
        )
        for name, spell in (("as acronyms", _as_acronym), ("as long forms", _as_long_form))
    }
    fewer = {n: ours_and_plain(lambda keywords, n=n: keywords[:n]) for n in (1, 2)}
    phrased = {name: ours_and_plain(phrasing) for name, phrasing in PHRASINGS.items()}
    by_fields = {}
    for n_fields in FIELDS:
        readers, reader_grades = field_readers(personas, qrels, n_fields)
        rankings = {
            "ours": ranker.rank(readers),
            "tfidf": _top(readers, tfidf_similarity(corpus, readers), corpus),
        }
        ndcg = {name: scores(r, reader_grades)["nDCG@10"] for name, r in rankings.items()}
        by_fields[n_fields] = {
            "ours": mean(ndcg["ours"]),
            "plain": mean(ndcg["tfidf"]),
            "below": sum(ndcg["ours"][pid] < ndcg["tfidf"][pid] for pid in reader_grades),
            "covered": fields_covered(rankings["ours"], readers, qrels),
            "plain_covered": fields_covered(rankings["tfidf"], readers, qrels),
            "per_field": per_field_ndcg(rankings["ours"], readers, qrels),
            "plain_per_field": per_field_ndcg(rankings["tfidf"], readers, qrels),
        }
    print(
        "spellings (each persona's keywords re-spelled one way), nDCG@10 and plain TF-IDF's: "
        + ", ".join(f"{name} {ours:.3f} ({plain:.3f})" for name, (ours, plain) in respelled.items())
        + "\nacronyms (each long form the corpus defines typed as its acronym, each acronym "
        "as its long form): "
        + ", ".join(f"{name} {ours:.3f} ({plain:.3f})" for name, (ours, plain) in acronyms.items())
        + "\nfewer interests (each persona's first keywords only; graded for all of them): "
        + ", ".join(f"first {n} {ours:.3f} ({plain:.3f})" for n, (ours, plain) in fewer.items())
        + "\nphrasings (each persona's keywords typed another way; see PHRASINGS): "
        + ", ".join(f"{name} {ours:.3f} ({plain:.3f})" for name, (ours, plain) in phrased.items())
        + "\nreaders of several fields (each persona's keywords with the next ones', graded "
        f"for any), nDCG@10 and plain TF-IDF's, personas below it, the share of fields "
        f"with a paper in the top {SIZE}, and nDCG@10 per field (graded for each field alone, "
        "the mean over fields): "
        + ", ".join(
            f"{n} fields {f['ours']:.3f} ({f['plain']:.3f}), {f['below']}/{len(personas)} "
            f"below, each field {f['covered']:.2f} ({f['plain_covered']:.2f}), per field "
            f"{f['per_field']:.3f} ({f['plain_per_field']:.3f})"
            for n, f in by_fields.items()
        )
    )
    feedback_points = [
        dict(zip(FEEDBACK_GRID, values, strict=True))
        for values in itertools.product(*FEEDBACK_GRID.values())
    ]
    # Feedback settings x personas: the gain averaged over 2 to 8 papers rated.
    by_rated = [
        {n: feedback_gain(ranker, personas, qrels, n, **point) for n in RATED_RANGE}
        for point in feedback_points
    ]
    gain_table = np.asarray(
        [
            np.mean(
                [[after[pid] - before[pid] for pid in ids] for before, after in gains.values()],
                axis=0,
            )
            for gains in by_rated
        ]
    )
    gain_out_of_fold, chosen = cross_validated(gain_table, persona_folds(len(ids), FOLDS))
    print(
        f"feedback settings by {FOLDS}-fold cross-validation of the gain (mean over "
        f"{RATED_RANGE.start}-{RATED_RANGE.stop - 1} papers rated):"
    )
    for point, gains in zip(feedback_points, gain_table.mean(axis=1), strict=True):
        replaced = one_like_changes(ranker, personas, qrels, **point)[0]
        print(
            "  "
            + ", ".join(f"{k}={v}" for k, v in point.items())
            + f": gain {gains:+.3f}; one like replaces {np.mean(replaced):.1f} of {SIZE} "
            f"(most {max(replaced)})"
        )
    shipped = {
        "dislike_weight": DISLIKE_WEIGHT,
        "liked_floor": LIKED_FLOOR,
        "count_exponent": RATING_COUNT_EXPONENT,
    }
    print(
        f"  out of fold {gain_out_of_fold.mean():+.3f}; folds chose "
        + "; ".join(sorted({str(feedback_points[c]) for c in chosen}))
        + f" (shipped {shipped})"
    )
    shipped_gain = {
        n: (mean(before), mean(after))
        for n, (before, after) in by_rated[feedback_points.index(shipped)].items()
    }
    before, after = shipped_gain[RATED]
    print(
        f"feedback: reader rates {RATED} papers of the first digest; nDCG@10 of the rest "
        f"{before:.3f} without ratings, {after:.3f} with ({after - before:+.3f})"
    )
    left = with_papers_left(ranker, personas, qrels)
    before_left, after_left = (
        np.mean([ndcg[pid] for pid in left])
        for ndcg in by_rated[feedback_points.index(shipped)][RATED]
    )
    print(
        f"  over the {len(left)} personas with a relevant paper left to find: "
        f"{before_left:.3f} without ratings, {after_left:.3f} with "
        f"({after_left - before_left:+.3f})"
    )
    gains = [after - before for before, after in shipped_gain.values()]
    print(
        f"feedback gain by papers rated ({RATED_RANGE.start}-{RATED_RANGE.stop - 1}): "
        + " ".join(f"{g:+.3f}" for g in gains)
        + f", mean {np.mean(gains):+.3f}"
    )
    replaced, added = one_like_changes(ranker, personas, qrels)
    print(
        f"one like, over {len(added)} personas: of the {SIZE} papers it replaces mean "
        f"{np.mean(replaced):.1f} (most {max(replaced)}) and brings in mean {np.mean(added):.1f} "
        f"(most {max(added)}; more than it replaces only where the floor left places empty)\n"
    )
    most_fields = by_fields[FIELDS[-1]]
    print(
        f"quality: nDCG@10 {means['ours']['nDCG@10']:.3f} in-sample, {folds5.mean():.3f} "
        f"out-of-fold (tfidf {means['tfidf']['nDCG@10']:.3f}, bm25 "
        f"{means['bm25']['nDCG@10']:.3f}), worst {folds5.min():.3f}, "
        f"{int((folds5 < tfidf).sum())}/{len(ids)} below tfidf; paper subsets "
        f"{subset_margin.mean():+.3f}, {by_subset[:, 3].mean():.1f} below; P@5 "
        f"{means['ours']['P@5']:.2f} R@20 {means['ours']['R@20']:.2f}; sent precision "
        f"{sent_precision:.2f} (tfidf {tfidf_precision:.2f}; daily {daily:.2f}, tfidf "
        f"{tfidf_daily:.2f}); {FIELDS[-1]} fields each {most_fields['covered']:.2f} (tfidf "
        f"{most_fields['plain_covered']:.2f}); respelled "
        f"min {min(ours for ours, _ in respelled.values()):.3f}, rephrased min "
        f"{min(ours for ours, _ in phrased.values()):.3f}; feedback "
        f"{after - before:+.3f}; one like replaces "
        f"{np.mean(replaced):.1f} of {SIZE} (most {max(replaced)})"
    )


if __name__ == "__main__":
    main()
