"""Ranking speed: 1,000,000 subscribers x 2,000 new papers, top 10 each.

    python benchmarks/rank.py [--subscribers 1000000] [--papers 2000] [--runs 3]

Runs ``digest.ranking.recommend``, the function the daily run calls, with the daily
run's settings (chunk size, minimum score, priors, diversity), on synthetic subscribers
whose 3-10 interests are drawn from the corpus vocabulary. The new papers are synthesized
from the sample corpus: each joins a third of the titles of three random corpus papers
and a third of the sentences of each of their abstracts. Explanations are left
out (the daily run explains one batch of subscribers at a time). Prints the median time
of several runs, the peak RSS of the process, and the ratio to a naive loop (scikit-learn
``cosine_similarity`` one subscriber at a time, timed on a sample and scaled).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from benchmarks.corpus import load_corpus  # noqa: E402
from digest.ranking import PaperIndex, Profiles, recommend  # noqa: E402

LIMIT = 10
NAIVE_SAMPLE = 500


def synthetic_papers(corpus, n: int, rng) -> tuple[list[str], list[str]]:
    """``n`` papers, each mixing the titles and abstracts of three random corpus papers.

    The title joins a third of each parent title; the abstract takes each parent
    sentence with probability 1/3.
    """
    sentences = [re.split(r"(?<=[.!?])\s+", a) for a in corpus.abstracts]
    titles, abstracts = [], []
    for _ in range(n):
        parents = rng.choice(len(corpus.titles), size=3, replace=False)
        title, abstract = [], []
        for part, parent in enumerate(parents):
            words = corpus.titles[parent].split()
            third = max(len(words) // 3, 1)
            title += words[part * third : (part + 1) * third]
            abstract += [s for s in sentences[parent] if rng.random() < 1 / 3]
        titles.append(" ".join(title))
        abstracts.append(" ".join(abstract) or " ".join(sentences[parents[0]]))
    return titles, abstracts


def synthetic_profiles(index: PaperIndex, n: int, n_papers: int, rng) -> Profiles:
    """``n`` subscribers with 3-10 interests, each a word of the corpus vocabulary (not a
    two-word term, nor a hyphenated compound such as "state-of-the-art")."""
    vocabulary = sorted({t for t in index.terms.tolist() if " " not in t and "-" not in t})
    counts = rng.integers(3, 11, size=n)
    rows = np.repeat(np.arange(n), counts)
    cols = rng.integers(0, len(vocabulary), size=len(rows))
    interests = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(n, len(vocabulary))
    )
    interests.sum_duplicates()
    interests.data[:] = 1.0
    empty = sp.csr_matrix((n, len(vocabulary)), dtype=np.float32)
    return Profiles(
        phrases=vocabulary,
        interests=interests,
        excludes=empty,
        seen=sp.csr_matrix((n, n_papers), dtype=bool),
        feedback=sp.csr_matrix((n, n_papers), dtype=np.float32),
        bringing=sp.csr_matrix((n, n_papers), dtype=bool),
        limits=np.full(n, LIMIT, dtype=np.int64),
    )


def naive_seconds_each(index: PaperIndex, profiles: Profiles, candidates, rng) -> float:
    """Seconds per subscriber for a loop of cosine_similarity calls, one subscriber each."""
    phrase_vectors = index.phrase_vectors(profiles.phrases)
    papers = index.matrix[candidates]
    sample = rng.choice(len(profiles), size=min(NAIVE_SAMPLE, len(profiles)), replace=False)
    start = time.perf_counter()
    for row in sample:
        query = profiles.interests[row] @ phrase_vectors
        similarity = cosine_similarity(query, papers).ravel()
        top = np.argpartition(-similarity, LIMIT)[:LIMIT]
        top[np.argsort(-similarity[top])]
    return (time.perf_counter() - start) / len(sample)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-file", default="data/papers.jsonl")
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    corpus = load_corpus(args.papers_file)
    titles, abstracts = synthetic_papers(corpus, args.papers, rng)
    start = time.perf_counter()
    index = PaperIndex.fit(zip(corpus.titles + titles, corpus.abstracts + abstracts, strict=True))
    fit_seconds = time.perf_counter() - start
    candidates = np.arange(len(corpus.titles), len(index))
    profiles = synthetic_profiles(index, args.subscribers, len(index), rng)
    print(
        f"{args.papers} new papers synthesized from {len(corpus.titles)} corpus papers "
        "(each: a third of the title and of the abstract sentences of three random corpus "
        "papers); "
        f"index of {len(index)} "
        f"papers x {len(index.terms)} terms fitted in {fit_seconds:.1f} s"
    )
    print(
        f"{args.subscribers} subscribers, {profiles.interests.nnz / args.subscribers:.1f} "
        f"interests each on average, drawn from the {len(profiles.phrases)} words of the corpus "
        "vocabulary"
    )
    options = {
        "min_score": settings.DIGEST_MIN_SCORE,
        "chunk_size": settings.RANKING_CHUNK_SIZE,
        "n_threads": settings.RANKING_THREADS,
        "popularity_weight": settings.RANKING_POPULARITY_WEIGHT,
        "recency_weight": settings.RANKING_RECENCY_WEIGHT,
        "diversity": settings.RANKING_DIVERSITY,
        "explain": False,
    }
    print("settings: " + ", ".join(f"{k}={v}" for k, v in options.items()))

    times = []
    for run in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        # A fresh copy: each run pays what a day's first batch does (an index keeps the
        # last candidates' near-duplicates for the next batch).
        result = recommend(replace(index), profiles, candidates, **options)
        times.append(time.perf_counter() - start)
        print(
            f"run {run + 1}: {times[-1]:.2f} s ({time.process_time() - cpu_start:.2f} s CPU, "
            f"load average {os.getloadavg()[0]:.1f}), {len(result.paper)} recommendations, "
            f"{np.mean(np.diff(result.indptr)):.2f} per subscriber"
        )
    median = statistics.median(times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    naive = naive_seconds_each(index, profiles, candidates, rng)
    ratio = naive * args.subscribers / median
    print(
        f"naive loop: {naive * 1000:.2f} ms a subscriber on "
        f"{min(NAIVE_SAMPLE, args.subscribers)} subscribers, "
        f"{naive * args.subscribers:.0f} s scaled to {args.subscribers}"
    )
    print(
        f"rank: {args.subscribers} subscribers x {args.papers} papers: {median:.1f} s median, "
        f"peak RSS {peak_mb:.0f} MB, {ratio:.0f}x naive loop"
    )


if __name__ == "__main__":
    main()
