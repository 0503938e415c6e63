"""The TF-IDF paper recommender.

Plain NumPy/SciPy/scikit-learn with no ORM inside, so it can be tested and benchmarked
alone. The daily run and the benchmarks call the same entry points:

- ``PaperIndex.fit(papers)`` fits the model on the paper history (title, abstract pairs,
  read once): stemmed
  words and two-word phrases (so multi-word keywords match as phrases), with the
  history's hyphenated compounds matching their unhyphenated spellings, sublinear TF-IDF;
- ``Profiles.build(...)`` gathers subscribers' interests (each typed phrase read as the
  topics it lists), exclusions, papers already sent and ratings into sparse matrices;
- ``recommend(index, profiles, candidates)`` scores every subscriber against the candidate
  papers in one sparse matrix product per chunk of subscribers, and keeps each
  subscriber's best papers above a minimum score;
- ``search(index, query)`` ranks the whole history for a query scored as an interest
  phrase is (the archive search).

Each interest phrase is vectorized and matched against the candidates once, however many
subscribers share it. A subscriber's query is the weighted sum of their phrases, moved
towards the papers they liked and away from those they disliked (Rocchio, older ratings
fading). The score of a paper is the cosine of query and paper, where a phrase counts
only for papers with a sentence holding at least half of its information and its most
informative word (the floor: a digest holds no filler), and only for subscribers one of
whose phrases a candidate holds whole (its words written together); it counts more when
it is in the paper's lead (its title, or whole in its first sentence); every part of it
comes from an interest or a rated paper, which is what the explanations show.
Acronyms the history defines match their long forms. A small prior for upvotes and
recency may nudge the order; near-duplicate papers are kept from crowding one digest.
"""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache

import numpy as np
import scipy.sparse as sp
import snowballstemmer
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    TfidfTransformer,
    TfidfVectorizer,
)
from sklearn.preprocessing import normalize
from sparse_dot_topn import sp_matmul, sp_matmul_topn

PHRASE_WEIGHT = 0.5
"""Weight in a query of a two-word term relative to single words (measured: 1 lets rare
word pairs outweigh the words themselves; 0 loses phrase matching)."""

LEAD_WEIGHT = 1.0
"""A phrase's match with a paper counts ``1 + LEAD_WEIGHT * (share of the phrase's
information in the paper's lead)``: in its title, or whole in its abstract's first
sentence (see ``PaperIndex.lead_shares``), a phrase counts double. Measured by persona
cross-validation on the 30 dev personas (make bench-quality): 0 / 0.5 / 1 / 2 give
nDCG@10 0.808 / 0.822 / 0.824 / 0.817 (out of fold 0.822, the folds picking 0.5 or 1).
The title alone gave 0.817 at 1 (9 personas below plain TF-IDF, 7 now); the title and
first sentence as one text 0.824, but a first sentence holding only part of a phrase
then counted as much as a title ("language" for "language models")."""

FLOOR = 0.5
"""A paper matches an interest phrase only when one of its sentences (the title is one)
contains at least half of the phrase's information (see ``PaperIndex.coverage``) and its
most informative word (see ``PaperIndex.matches``): more than its generic words, and
not words of the phrase scattered over the abstract. Cross-validated over personas (make
bench-quality): 0.5 / 0.6 / 0.75 give 0.815 / 0.782 / 0.761 nDCG@10 in-sample and every
fold picks 0.5 (0.4 and 0.45 give 0.815 too). Per sentence rather than per paper:
nDCG@10 0.815 against 0.812, precision of what is sent 0.657 against 0.652. Requiring
the most informative word left the dev figures unchanged and stops a paper on "error
correction" of reasoning steps matching "quantum error correction"."""

LIKED_FLOOR = 0.3
"""A paper not matching an interest enters a digest when it holds this share of the
information of the title of a paper the reader liked (see ``PaperIndex.coverage``).
Chosen with ``DISLIKE_WEIGHT`` by persona cross-validation of the feedback gain (make
bench-quality, mean over 2 to 8 papers rated, dislike weight 1.5): 0.5 / 0.4 / 0.3 / 0.2
gain +0.045 / +0.067 / +0.071 / +0.065 nDCG@10 while one like replaces 1.2 / 1.3 / 1.4 /
1.4 of ten papers (most 4 / 5 / 5 / 5); the folds pick 0.3 or 0.4, out of fold +0.067.
Measured again after the ranking's later changes (the same grid; count exponent 0.25): +0.035 /
+0.045 / +0.053 / +0.045, one like replacing 1.2 / 1.3 / 1.3 / 1.4 (most 3 / 5 / 5 / 5);
the folds pick 0.3 or 0.4, out of fold +0.037."""

MIN_DF = 1
MAX_TERMS = 1_000_000
"""Bounds of the vocabulary (TfidfVectorizer's ``min_df`` and ``max_features``; the window
of papers fitted is the caller's). Measured with ``make bench-quality``: min_df 2 costs
0.004 nDCG@10 on the dev set (and would hide a term new today until a second paper uses
it); max_features 20,000 of its 31,000 terms costs 0.008. At 150,000 synthetic papers the
vocabulary is 202,000 terms and the stored index loads in 0.1 s with +49 MB, so the cap
only bounds the worst case (real listings have more distinct terms)."""

WHOLE = 0.9
"""A sentence holding at least this share of a phrase's information holds it whole: all of
it but generic words ("models" is 1.5% of "weather forecasting models"), when the paper also
writes next to each other the words the phrase writes next to each other, generic words
aside (see ``PaperIndex.held_whole``). Measured on the sample corpus (make bench-quality's
phrases): each phrase's best sentence holds 0.985 or more of it, or at most 0.79
("topological codes": "topological" without "codes"). The words-together part stops "protein
folding, molecular dynamics" getting ten papers through a title with "a dynamic ... for de
novo molecular design", and leaves the dev figures as they were (nDCG@10 0.815, precision of
what is sent 0.657); asking it also of words the phrase writes apart took the math persona's
digest ("LLMs for mathematics": a paper's "LLMs ... tasks involving mathematics"; nDCG@10
0.266 to 0)."""

GENERIC = float(np.log(2))
"""A word in more than half of the papers is generic: its information (see
``PaperIndex.coverage``) is under this ("models", "learning", "training"). A phrase held
whole need not write it next to its other words (see ``PaperIndex.held_whole``):
"memory-efficient training" is held by "a memory-efficient optimizer for training". Measured
(make bench-quality): the dev figures are unchanged; a reader of the first keyword of each
persona alone gets nDCG@10 0.632 against 0.614 when only words under a tenth of the phrase's
information were generic (plain TF-IDF 0.631)."""

EXCLUDE_THRESHOLD = 0.12
"""An excluded phrase drops the papers about it: those whose title holds it whole (``WHOLE``
of its information) and those whose cosine with it is above this. Measured on the three
dev personas with an exclusion (make bench-quality): by the cosine alone, 0.12 kept
"Global Vision Transformer Pruning ..." for a reader excluding pruning (vit-arch nDCG@10
0.813), 0.06 and 0.09 dropped it (0.889) and 0.03 dropped seven relevant papers; with the
title rule every value from 0.06 up gives 0.889 (dev mean 0.815 to 0.818), so the cosine
only has to catch a paper whose title does not name its topic."""

LIKE_WEIGHT = 2.0
"""Rocchio weight of the mean liked paper, relative to the interests (measured on the dev
set, five papers rated: like weight 1 / 2 / 4 gain +0.011 / +0.030 / +0.044 nDCG@10 while
one like replaces 0.8 / 1.2 / 2.0 of ten papers on average, most 3 / 4 / 6): the most a
like may move within "a like brings in only a few papers". Measured again with today's
floor and dislike weight: 1.5 / 2 / 3 / 4 gain +0.057 / +0.066 / +0.070 / +0.061 while one
like replaces 1.1 / 1.3 / 1.8 / 2.2 (most 4 / 5 / 5 / 6): a heavier like costs readers
slots for little or no gain."""
DISLIKE_WEIGHT = 1.5
"""Rocchio weight of the mean disliked paper. Chosen with ``LIKED_FLOOR`` by persona
cross-validation of the feedback gain (make bench-quality; mean over 2 to 8 papers rated,
like weight 2): at a liked floor of 0.3, 0 / 0.5 / 1 / 1.5 / 2 gain +0.049 / +0.063 /
+0.069 / +0.071 / +0.068, and every fold picks 1.5 (the former 0.25 gained +0.030 with
five rated, 1.5 +0.052, both at a liked floor of 0.5). Measured again after the ranking's
later changes (count exponent 0.25): +0.037 / +0.046 / +0.052 / +0.053 / +0.048, the folds
picking 1 or 1.5. A dislike only reorders: it brings nothing in, so it does not change how
many slots one like changes."""
RATING_COUNT_EXPONENT = 0.25
"""The liked papers pull a profile by ``LIKE_WEIGHT`` times (their number to this power),
as the disliked ones push by ``DISLIKE_WEIGHT`` times theirs: 0 is the Rocchio mean
(one like pulls as hard as five), 1 their sum; a single like pulls the same whatever the
value, so what one like changes does not move. Chosen by persona cross-validation of the
feedback gain (make bench-quality, mean over 2 to 8 papers rated, dislike weight 1.5,
liked floor 0.3): 0 / 0.25 / 0.5 gain +0.074 / +0.079 / +0.076 and every fold picks
0.25 (out of fold +0.075); five papers rated gain +0.078 / +0.084 / +0.087. Measured again
after the ranking's later changes lifted the rest without ratings: +0.044 /
+0.053 / +0.051, the folds picking 0.25 or 0.5; five papers rated gain +0.066 at 0.25."""
RATED_PAPER_TERMS = 150
"""A rated paper moves a profile by its strongest terms only (weighted like a query;
measured: 100-200 beat 60 on the dev judgments' feedback gain, 2 to 8 papers rated)."""
RATING_HALF_LIFE_DAYS = 60.0
"""A rating's pull on the profile halves every this many days."""
LIKES_BRINGING_IN = 10
"""Of a reader's likes, the newest this many may bring papers in (see ``LIKED_FLOOR``);
older ones still pull the profile. Bounds what likes cost a batch by its readers, not by
how long they have rated: with a rating every other day for a year (make bench-history,
20,000 papers, batches of 100), when every like in the window brought papers in, ranking
a batch took 0.56 s against 0.04 s without ratings; with ten (and the ratings' pull scored
per reader) 0.15 s. The quality benchmark rates at most 8 papers, so none of its figures
depends on it."""

RECENCY_HALF_LIFE_DAYS = 30.0
"""The recency prior halves every this many days of a paper's age."""

NEAR_DUPLICATE = 0.3
"""Cosine similarity above which two papers count as near-duplicates (on the sample
corpus, papers of one series score 0.2-0.4, unrelated papers under 0.2)."""
DIVERSITY = 0.5
"""How much a near-duplicate of a paper already picked is penalized (0 = not at all).
Not tuned: on the dev set it changes nothing (make bench-quality: nDCG@10 and the mean
pairwise similarity of the top 10, 0.045, are the same with and without), as the sample
holds few papers of one series; it keeps such a series from filling a digest."""

SPELLING_CUTOFF = 0.85
"""A word no paper uses is taken for a misspelling of the most similar word papers use
(its readable form) when difflib's similarity ratio of the two is at least this (see
``PaperIndex.unknown_words``). Measured on the sample corpus: of 465 typos (one letter
dropped, doubled, swapped with the next or replaced in each dev persona keyword word of
four letters or more), 24 stem as the word anyway; of the rest 0.75 / 0.8 / 0.85 / 0.9
suggest the right word for 370 / 346 / 278 / 182 and a wrong one for 33 / 18 / 4 / 2;
and of 150 real words used by one paper, asked of an index without that paper, 68 / 38 /
14 / 2 get a suggestion they did not need. Comparing stems instead did worse at each. The
ranking reads a word as its suggestion (see ``respelled``): each dev persona keyword with a
letter dropped ranks at nDCG@10 0.740 against 0.307 unread (plain TF-IDF 0.617), at the cost
of a new real word read as another until a paper uses it (14 of 150 here), which the account
page shows the reader."""

SPELLING_LOOKUPS = 8
"""Words of a text no paper uses that are looked up as possible misspellings (see
``PaperIndex.unknown_words``); the rest are taken for words no paper uses. A lookup runs
difflib on the vocabulary's words of one initial whose letters could come close enough:
0.5 ms at 12,000 such words (11 ms with difflib on all of them; a sign-up of 30 interests
of 8 unknown words each took 129 ms against 2.7 s), and a text with more unknown words
than this holds no typo to mend."""

SPELLINGS_KEPT = 4096
"""Lookups of unknown words an index keeps (see ``PaperIndex.unknown_words``): a bound,
as searches and sign-ups bring ever new words; 4,096 words are about half a megabyte, more
than the distinct misspellings of the dev personas' keywords (465)."""

LONG_PHRASE = 5
"""A typed interest of this many words or more (stop words aside, each piece of a
hyphenated word counting) is read as the runs of words between its stop words: a
description ("efficient inference of large language models on edge devices") rather than
a keyword, which no paper writes whole (see ``interest_parts``). Keywords have fewer: the
dev personas' at most three, "parameter-efficient fine-tuning" and "low-rank adaptation of
LLMs" four. With the list reading, each dev persona's keywords typed as one phrase joined by
"and" rank at nDCG@10 0.829 (0.830 typed apart); before, 29 of 30 got no digest (0.031)."""

WORD_MAX_CHARS = 64
"""Longer runs of letters are no word ("pneumonoultramicroscopicsilicovolcanoconiosis" has
45) and are not indexed: the fit stores terms in arrays as wide as the longest, and one
20,000-character "word" in one paper took the build from 184 MB to 2.6 GB of memory."""

EXPLAIN_TERMS = 3
LIKED_PREFIX = "like: "
"""How an explanation names a liked paper that contributed to the score."""
PARTLY_PREFIX = "part: "
"""How an explanation names an interest the paper holds only part of: its best sentence
holds less than ``WHOLE`` of the phrase's information ("low-rank approximation" for
"low-rank adaptation")."""

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A word, or a hyphenated compound of words."""
_TYPED_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
"""A word as typed, in any script, upper-case letters and accents and all."""
_COMBINING = re.compile(r"[\u0300-\u036f]")
_WORD_BYTES = bytes(
    c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789-" else 32 for c in range(256)
)
_LOOSE_HYPHEN = re.compile(rb"-(?:(?<![a-z0-9]-)|(?![a-z0-9]))")
_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)
_PLURAL_ACRONYM = re.compile(r"([b-df-hj-np-tv-xz]{2,})s")
"""A word of consonants and a plural "s" ("LLMs", "GNNs"): Snowball keeps the "s" of a word
without a vowel, so "LLMs" and "LLM" would be two terms."""
_VERB_IZE = re.compile(r"(.{3,}?)iz(?:e|es|ed|ing|er|ers|ation|ations)")
"""A verb made with "-ize" and its derived words ("tokenization", "normalized",
"generalizes"), stemmed together but apart from their base ("token", "normal",
"general"), which Snowball's stemmer merges them with."""
_BRITISH = (
    (re.compile(r"(.{3,}?[iy])s(e|es|ed|ing|er|ers|ation|ations)"), r"\1z\2"),
    (re.compile(r"(.{3,}?)our([a-z]*)"), r"\1or\2"),
    (re.compile(r"(.{3,}?)ogue(s?)"), r"\1og\2"),
    (re.compile(r"(.{3,}?)ence(s?)"), r"\1ense\2"),
    (re.compile(r"(.{3,}?)gement(s?)"), r"\1gment\2"),
)
"""British spellings and their American ones: "normalisation", "analysed", "behaviour",
"neighbourhood", "dialogue", "defence", "judgement". A word is stemmed as its American
spelling only where the history writes that (see ``Analyzer.learn_spellings``): the same
endings end words that have no other spelling ("precise", "supervised", "contour",
"evidence"), which keep their own stems."""


class Analyzer:
    """Words and adjacent word pairs of a text, stop words dropped, Snowball-stemmed.

    A hyphenated compound that would lose a piece (a stop word or a single character,
    as in "out-of-distribution", "text-to-image", "U-Net") is also kept as one word, so
    it does not shrink to its generic part ("distribution"). A word that the paper history
    also writes with hyphens (see ``learn_compounds``) is split into those pieces, so
    "pretraining" matches "pre-training" and "finetuning" matches "fine-tuning". An
    acronym's plural stems as the acronym ("LLMs", "LLM"), an adjective in "-ular" as
    its noun in "-ule" (see ``learn_adjectives``), and a British spelling as the American
    one the history writes ("quantisation" as "quantization"; see ``learn_spellings``).

    While ``surface`` is a Counter, it counts which word each stem came from, so the
    vocabulary can be shown in readable words. While ``keeps_stems``, each word's stem is
    kept once found (a fitted index's analyzer keeps only the history's: searches and
    sign-ups from strangers bring ever new words).
    """

    keeps_stems = True

    VERSION = 6
    """Changes whenever a word's stem may change: an index stored with other stems is not
    used (see ``index_store.FORMAT``)."""

    def __init__(self):
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}
        self._pieces: dict[str, list[str]] = {}
        self._nouns: dict[str, str] = {}
        self._attested: set[str] = set()
        self._hyphenated: set[tuple[str, ...]] | None = None
        self.surface: Counter | None = None

    def learn_compounds(self, tokens: Iterable[str]) -> None:
        """Split from now on each word that ``tokens`` (the history's words, in order) also
        write with hyphens, as the last such spelling does."""
        for token in tokens:
            pieces = token.split("-")
            if len(pieces) > 1 and all(map(_is_kept, pieces)):
                self._pieces["".join(pieces)] = pieces
        self._hyphenated = None

    def _hyphenates(self, stems: list[str]) -> bool:
        """Whether the history writes a word of these stems with hyphens ("fine-tunings":
        "fine-tuning")."""
        if self._hyphenated is None:
            self._hyphenated = {tuple(map(self._stem, p)) for p in self._pieces.values()}
        return tuple(stems) in self._hyphenated

    def learn_adjectives(self, words: Iterable[str]) -> None:
        """Stem from now on an adjective in "-ular" as its noun in "-ule" when ``words``
        (the history's) hold both: "molecular" as "molecule", "modular" as "module";
        "regular" and "popular" have no such noun and stay apart from "regulate" and
        "population", which Snowball gives their stems."""
        words = set(words)
        for word in words:
            noun = word[:-4] + "ule"
            if word.endswith("ular") and noun in words:
                self._nouns[word] = noun

    def learn_spellings(self, words: Iterable[str]) -> None:
        """Stem from now on a British spelling (see ``_BRITISH``) as its American one when
        that has the stem of one of ``words`` (the history's): "quantisation" and
        "quantised" as "quantization", "behaviour" as "behavior"; "supervised" stays with
        "supervision" where no paper writes "supervized"."""
        self._attested = {self._stem(word) for word in words}
        for word in [w for w in self._stems if any(b.fullmatch(w) for b, _ in _BRITISH)]:
            del self._stems[word]

    def stems(self, text: str) -> list[str]:
        return self._analyze(text)[0]

    def all_stems(self, text: str) -> list[str]:
        """The stems of the words and of the compounds also kept whole
        ("out-of-distribution": "distribut" and "outofdistribut")."""
        return [stem for stems in self._analyze(text) for stem in stems]

    def units(self, text: str) -> list[tuple[str, ...]]:
        """The stems each word of a text stands for: all pieces of a word split at hyphens
        ("pre-training", "pretraining") together; a compound that lost pieces
        ("out-of-distribution") by its kept pieces and itself, each alone; the pieces of
        a word the history never hyphenates ("LLM-agents", as a reader may write "LLM
        agents") each alone, as separate words are."""
        units = []
        for token in _tokens(text):
            kept, compound = self._split(token)
            stems = [self._stem(w) for w in kept]
            if compound:
                units += [(stem,) for stem in [*stems, self._stem(compound.replace("-", ""))]]
            elif "-" in token and not self._hyphenates(stems):
                units += [(stem,) for stem in stems]
            elif stems:
                units.append(tuple(dict.fromkeys(stems)))
        return list(dict.fromkeys(units))

    def written_together(self, text: str) -> list[tuple[str, str]]:
        """Each two stems the text writes next to each other, with no word dropped between
        them ("LLMs for mathematics" has none: the two may be apart in a paper too)."""
        pairs, previous = [], None
        for kept, _ in self._words(text):
            stems = [self._stem(w) for w in kept]
            if previous and stems:
                pairs.append((previous, stems[0]))
            pairs += zip(stems, stems[1:], strict=False)
            previous = stems[-1] if stems else None
        return pairs

    def _analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The stems of the words, and of the compounds also kept whole."""
        words, compounds = [], []
        for kept, compound in self._words(text):
            words += kept
            if compound:
                compounds.append(compound)
        stems = [self._stem(w) for w in words]
        whole = [self._stem(c.replace("-", "")) for c in compounds]
        if self.surface is not None:
            self.surface.update(zip(stems + whole, words + compounds, strict=True))
        return stems, whole

    def _words(self, text: str) -> Iterator[tuple[list[str], str | None]]:
        """Each word's kept pieces, and the word itself if it is a compound that lost some."""
        return map(self._split, _tokens(text))

    def _split(self, token: str) -> tuple[list[str], str | None]:
        """A word's kept pieces, and the word itself if it is a compound that lost some."""
        if "-" not in token and token not in self._pieces:
            return [token] if _is_kept(token) else [], None
        pieces = [w for piece in token.split("-") for w in self._pieces.get(piece, [piece])]
        kept = [w for w in pieces if _is_kept(w)]
        return kept, token if len(pieces) > 1 and len(kept) < len(pieces) else None

    def _stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            base = self._nouns.get(word, word)
            for british, american in _BRITISH:
                match = british.fullmatch(base)
                if match and self._stem(match.expand(american)) in self._attested:
                    base = match.expand(american)
                    break
            verb, plural = _VERB_IZE.fullmatch(base), _PLURAL_ACRONYM.fullmatch(base)
            stem = verb[1] + "iz" if verb else plural[1] if plural else self._stemmer.stemWord(base)
            if self.keeps_stems:
                self._stems[word] = stem
        return stem

    def __call__(self, text: str) -> list[str]:
        stems, whole = self._analyze(text)
        return stems + whole + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def _letter_counts(words: Sequence[str]) -> np.ndarray:
    """Words x 27: how often each of a-z occurs in each word, and any other letter (so
    that letters two words share are never undercounted)."""
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    letter = np.where((codes >= 97) & (codes <= 122), codes - 97, 26)
    word = np.repeat(np.arange(len(words)), [len(w) for w in words])
    counts = np.bincount(word * 27 + letter, minlength=len(words) * 27)
    return counts.reshape(len(words), 27).astype(np.uint16)


def _is_kept(word: str) -> bool:
    return len(word) > 1 and word not in _STOP_WORDS


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is indexed by."""
    return f"{title}. {abstract}"


_ACRONYM = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9]*[A-Z][A-Za-z0-9]*?)s?\)")
"""A parenthesized acronym, plural "s" apart: "(GNNs)", "(T2I)", "(3DGS)"."""
_DIGIT_WORDS = {"2": "to", "4": "for"}
"""Digits acronyms write for words: "text-to-image (T2I)", "speech-to-speech translation
(S2ST)"."""
_CLAUSE_END = re.compile(r"[.;:()]")


class AcronymMiner:
    """Acronym -> long form, as texts define them ("automatic speech recognition (ASR)"),
    gathered one text at a time (``add``) so a fit reads each paper once.

    The long form is the shortest run of words before the parentheses (in the same
    clause) whose letters spell the acronym in order, its first letter starting a word
    (Schwartz and Hearst's algorithm); an acronym defined more than one way keeps its most
    frequent long form, the spellings of one long form counted together ("spiking neural
    networks", "spiking neural network"; "pre-trained", "pretrained"). A long form is at
    least two words or pieces of a hyphenated word ("text-to-speech"). An acronym the
    texts write more often as a lower-case word than they define it ("GET", "VAR") or a
    stop word ("IS") is left out.
    """

    def __init__(self):
        self._found: dict[str, Counter] = {}
        self._written_as_word: Counter = Counter()

    def add(self, text: str) -> None:
        for match in _ACRONYM.finditer(text):
            acronym = match.group(1)
            before = _CLAUSE_END.split(text[max(0, match.start() - 300) : match.start()])[-1]
            words = before.split()[-min(len(acronym) + 5, 2 * len(acronym)) :]
            long_form = _long_form(acronym.lower(), " ".join(words).lower())
            if long_form and len(re.split(r"[\s-]+", long_form)) > 1:
                self._found.setdefault(acronym.lower(), Counter())[long_form] += 1
        self._written_as_word.update(_words_of(text))  # (an upper-case letter is not a word's)

    def long_forms(self) -> dict[str, str]:
        return {
            acronym: _most_frequent(forms)
            for acronym, forms in self._found.items()
            if self._written_as_word[acronym.encode()] < forms.total() and _is_kept(acronym)
        }


def mine_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronym -> long form, as the texts define them (see ``AcronymMiner``)."""
    miner = AcronymMiner()
    for text in texts:
        miner.add(text)
    return miner.long_forms()


def _most_frequent(long_forms: Counter) -> str:
    """The most frequent spelling of the most frequent long form (of equals, the first),
    spellings differing in hyphens or in plural words counting as one long form."""
    spellings: defaultdict[str, Counter] = defaultdict(Counter)
    for long_form, count in long_forms.items():
        key = "".join(word.rstrip("s") for word in re.split(r"[\s-]+", long_form))
        spellings[key][long_form] += count
    return max(spellings.values(), key=Counter.total).most_common(1)[0][0]


def _folded(text: str) -> str:
    """The text with accents dropped and ligatures and compatibility characters spelled
    out ("Poincaré", "Fréchet", a PDF's "ﬁne-tuning"), so they meet their ASCII spellings
    ("Poincare", "Frechet", "fine-tuning")."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def in_another_script(word: str) -> bool:
    """Whether a word has letters no English spelling has, accents aside ("音声認識",
    "Größen"; not "Fréchet")."""
    return not _folded(word).isascii()


def _tokens(text: str) -> list[str]:
    """The words of a text (see ``_TOKEN``; ``WORD_MAX_CHARS`` at most), lower-cased and
    ``_folded``."""
    return [w for w in _TOKEN.findall(_folded(text).lower()) if len(w) <= WORD_MAX_CHARS]


def _words_of(text: str) -> list[bytes]:
    """``_tokens(text)`` of a lower-case text, ASCII-encoded, and faster on a paper
    (measured on 20,000 synthetic abstracts: 0.75 s against 1.3 s): every character but
    a-z, 0-9 and a hyphen between two of them becomes a space, and the rest is split at
    spaces."""
    ascii_text = _folded(text).encode("ascii", "replace").translate(_WORD_BYTES)
    return [w for w in _LOOSE_HYPHEN.sub(b" ", ascii_text).split() if len(w) <= WORD_MAX_CHARS]


def _long_form(acronym: str, text: str) -> str | None:
    """The end of ``text`` whose letters spell ``acronym`` (Schwartz and Hearst, 2003), a
    "2" or "4" in it standing for the word "to" or "for" (see ``_DIGIT_WORDS``) where
    the text has no such digit."""
    letters = [c for c in acronym if c.isalnum()]
    at = len(text) - 1
    for i in range(len(letters) - 1, -1, -1):
        word = _DIGIT_WORDS.get(letters[i]) if letters[i] not in text else None
        if word:
            found = list(re.finditer(rf"(?<![a-z0-9]){word}(?![a-z0-9])", text[: at + 1]))
            if not found:
                return None
            at = found[-1].start() - 1
            continue
        while at >= 0 and (
            text[at] != letters[i] or (i == 0 and at > 0 and text[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    return " ".join(_TOKEN.findall(text[at + 1 :])) or None


@dataclass(frozen=True)
class PaperIndex:
    """The TF-IDF model of the paper history and the l2-normalized paper vectors.

    ``terms`` names each term column in readable words; ``query_weights`` weighs each term
    in queries (``PHRASE_WEIGHT`` for two-word terms); ``rated_vectors`` are the papers as
    they move a profile when rated (their ``RATED_PAPER_TERMS`` strongest query-weighted
    terms, l2-normalized); ``popularity`` (0-1, from upvotes) and
    ``published`` (days since 1970, NaN when unknown) feed the priors; ``long_forms``
    maps each acronym the history defines (as a stem) to its long form's stems and text;
    ``sentence_terms`` holds the word terms of each sentence of each paper (title first),
    paper ``i``'s being rows ``sentence_starts[i]:sentence_starts[i + 1]``.
    """

    vectorizer: TfidfVectorizer
    matrix: sp.csr_matrix
    title_terms: sp.csr_matrix
    sentence_terms: sp.csr_matrix
    sentence_starts: np.ndarray
    terms: np.ndarray
    query_weights: sp.dia_matrix
    rated_vectors: sp.csr_matrix
    titles: list[str]
    popularity: np.ndarray
    published: np.ndarray
    long_forms: dict[str, tuple[list[str], str]]

    @classmethod
    def fit(cls, papers: Iterable[tuple[str, str]]) -> PaperIndex:
        """The model of ``papers`` (title, abstract pairs), read once: a year of them need
        not be held in memory beside the model (the build streams them from the database).
        Their priors are neutral until ``with_priors`` gives their upvotes and dates."""
        counted = _count_terms(papers)
        counts, in_title, sentence_terms, vocabulary = _bounded(
            counted, min_df=MIN_DF, max_terms=MAX_TERMS
        )
        analyzer = counted.analyzer
        tfidf = TfidfTransformer(sublinear_tf=True, norm=None).fit(counts)
        # Fitted as TfidfVectorizer.fit_transform would have it; it vectorizes later texts.
        vectorizer = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, norm=None, dtype=np.float32
        )
        vectorizer.vocabulary_ = {term: column for column, term in enumerate(vocabulary)}
        vectorizer.idf_ = tfidf.idf_
        matrix = normalize(tfidf.transform(counts, copy=False), copy=False)
        del counts
        known = vectorizer.vocabulary_
        analyzer.surface = counted.surface
        long_forms = {
            analyzer.stems(acronym)[0]: (stems, long_form)
            for acronym, long_form in counted.acronyms.items()
            if (stems := analyzer.all_stems(long_form))
            and all(stem in known for stem in stems)
            and analyzer.stems(acronym)
        }
        # Each stem is shown as its most frequent word, the shortest of equally frequent.
        words: dict[str, str] = {}
        for (stem, word), _ in sorted(
            analyzer.surface.items(), key=lambda item: (-item[1], len(item[0][1]), item[0][1])
        ):
            words.setdefault(stem, word)
        analyzer.surface, analyzer.keeps_stems = None, False
        terms = np.asarray(
            [
                " ".join(words[s] for s in term.split())
                for term in vectorizer.get_feature_names_out()
            ]
        )
        query_weights = sp.diags(np.where(np.char.find(terms, " ") >= 0, PHRASE_WEIGHT, 1.0))
        return cls(
            vectorizer=vectorizer,
            matrix=matrix,
            title_terms=in_title,
            sentence_terms=sentence_terms,
            sentence_starts=counted.sentence_starts,
            terms=terms,
            query_weights=query_weights,
            rated_vectors=_rated_vectors(matrix, query_weights),
            titles=counted.titles,
            popularity=np.zeros(len(counted.titles)),
            published=np.full(len(counted.titles), np.nan),
            long_forms=long_forms,
        )

    def with_priors(
        self, *, upvotes: Sequence[int | None], published: Sequence[date | None]
    ) -> PaperIndex:
        """The same model with the priors' arrays computed from each row's paper."""
        votes = np.asarray([v or 0 for v in upvotes], float)
        return replace(
            self,
            popularity=np.log1p(votes) / max(np.log1p(votes.max(initial=0)), 1.0),
            published=_days(published),
        )

    def extended(
        self,
        titles: Sequence[str],
        abstracts: Sequence[str],
        *,
        published: Sequence[date | None],
    ) -> PaperIndex:
        """The index with rows added for more papers, vectorized with the fitted vocabulary
        and IDF (the model is not refitted). Their popularity is 0 (papers this new have
        hardly any upvotes; the next build counts them)."""
        docs = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        if not docs:
            return self
        added = normalize(self.vectorizer.transform(docs).tocsr())
        sentences = _sentences(self.vectorizer, titles, abstracts)
        return replace(
            self,
            sentence_terms=sp.vstack(
                [self.sentence_terms, sentences["sentence_terms"]], format="csr"
            ),
            sentence_starts=np.concatenate(
                [self.sentence_starts, self.sentence_starts[-1] + sentences["sentence_starts"][1:]]
            ),
            matrix=sp.vstack([self.matrix, added], format="csr"),
            title_terms=sp.vstack(
                [
                    self.title_terms,
                    _presence(self.vectorizer.transform(list(titles))),
                ],
                format="csr",
            ),
            rated_vectors=sp.vstack(
                [self.rated_vectors, _rated_vectors(added, self.query_weights)], format="csr"
            ),
            titles=[*self.titles, *titles],
            popularity=np.concatenate([self.popularity, np.zeros(len(docs))]),
            published=np.concatenate([self.published, _days(published)]),
        )

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def as_written(self, phrase: str) -> str:
        """The phrase with each run of words that keeps only one word (the others stop
        words or single letters) written as the hyphenated word the history has: "out of
        distribution" would be only "distribution", "on device" only "device"; the
        history's "out-of-distribution" and "on-device" are kept whole. ("chain of
        thought" keeps two words, which papers writing it either way share.)"""
        analyzer, known = self.vectorizer.analyzer, self.vectorizer.vocabulary_

        def is_compound(run: list[str]) -> bool:
            stems = analyzer.stems("".join(run))
            return (
                sum(map(_is_kept, run)) == 1
                and not any("-" in word for word in run)
                and len(stems) == 1
                and stems[0] in known
            )

        words, written = _tokens(phrase), []
        while words:
            n = next((n for n in range(min(len(words), 4), 1, -1) if is_compound(words[:n])), 1)
            written.append("-".join(words[:n]))
            del words[:n]
        return " ".join(written)

    def unknown_words(self, text: str) -> dict[str, str | None]:
        """Each word of ``text`` (as typed) no paper uses, with the word papers use that it
        is probably a misspelling of ("transfomer": "transformer"), or None: the most
        similar of the words with its first letter, if similar enough
        (``SPELLING_CUTOFF``), looked up for the first ``SPELLING_LOOKUPS`` such words of
        four letters or more (a shorter one, often an acronym no paper uses, as "NMT", is
        too short to tell a typo by, and one with digits, as "T2V", is no misspelling). A
        word in another script ("音声認識", "Größen") is named whole, with no guess: the
        papers are in English."""
        analyzer, known = self.vectorizer.analyzer, self.vectorizer.vocabulary_
        unknown, seen, lookups = {}, set(), 0
        for typed in _TYPED_TOKEN.findall(text):
            word = _folded(typed).lower()
            if word in seen:
                continue
            seen.add(word)
            if in_another_script(word):
                unknown[typed] = None
                continue
            stems = analyzer.stems(word)
            if word.isalnum() and not word.isdigit() and stems and stems[0] not in known:
                probably = None
                if word.isalpha() and len(word) >= 4 and lookups < SPELLING_LOOKUPS:
                    probably, lookups = self._probable_word(word), lookups + 1
                unknown[typed] = probably
        return unknown

    def as_read(self, phrase: str) -> str:
        """An interest phrase as the recommender reads it: misspellings mended (see
        ``respelled``), written as the papers write it (see ``as_written``)."""
        return self.as_written(self.respelled(phrase))

    def respelled(self, text: str) -> str:
        """The text with each word no paper uses written as the word it probably misspells
        (see ``unknown_words``): "transfomer models" as "transformer models"."""
        for typed, probably in self.unknown_words(text).items():
            if probably:
                text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(typed)}(?![A-Za-z0-9])", probably, text)
        return text

    @cached_property
    def _probable_word(self) -> Callable[[str], str | None]:
        """The word an unknown word probably misspells, or None; the last
        ``SPELLINGS_KEPT`` answers are kept (a lookup costs milliseconds on a large
        vocabulary, and a daily run meets the same typos again)."""

        @lru_cache(maxsize=SPELLINGS_KEPT)
        def probable_word(word: str) -> str | None:
            words, letters, lengths = self._words_by_initial.get(word[0], ((), None, None))
            if not words:
                return None
            # difflib's own first filter (its quick_ratio: the letters two words share, as
            # a share of their lengths) for all the words of the initial at once: what it
            # drops could never reach the cutoff, so the answer is difflib's own.
            shared = np.minimum(letters, _letter_counts([word])[0]).sum(axis=1)
            close_enough = 2 * shared >= SPELLING_CUTOFF * (lengths + len(word))
            candidates = [words[i] for i in np.flatnonzero(close_enough)]
            close = difflib.get_close_matches(word, candidates, 1, SPELLING_CUTOFF)
            return close[0] if close else None

        return probable_word

    @cached_property
    def _words_by_initial(self) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
        """The readable words of the vocabulary (not pairs) by first letter, with their
        letter counts (see ``_letter_counts``) and lengths."""
        by_initial = defaultdict(list)
        for term in self.terms.tolist():
            if term.isalpha():
                by_initial[term[0]].append(term)
        letters = {initial: _letter_counts(words) for initial, words in by_initial.items()}
        return {
            initial: (words, letters[initial], letters[initial].sum(axis=1))
            for initial, words in by_initial.items()
        }

    def near_duplicates(
        self, candidates: np.ndarray, n_threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's most similar other candidate if above ``NEAR_DUPLICATE`` (else
        -1), and their similarity, as columns of ``candidates`` (read-only: kept for the
        next call)."""
        return self._near_duplicates(np.asarray(candidates, np.int64).tobytes(), n_threads)

    @cached_property
    def _near_duplicates(self) -> Callable[[bytes, int | None], tuple[np.ndarray, np.ndarray]]:
        """``near_duplicates`` by the candidates' bytes, the last answer kept: a run's
        batches share their candidates, which cost each batch of 500 readers 0.32 s alone
        and 0.20 s on two threads (a week's 2,876 candidates of a 150,000-paper index; the
        batch took 1.7 s with 182 ratings a reader)."""

        @lru_cache(maxsize=1)
        def near_duplicates(candidates: bytes, n_threads: int | None):
            papers = self.matrix[np.frombuffer(candidates, np.int64)]
            # Three: the paper itself, its closest, and one more in case a twin ties with
            # itself.
            similar = sp_matmul_topn(
                papers, papers.T.tocsr(), top_n=3, threshold=NEAR_DUPLICATE, n_threads=n_threads
            ).tocsr()
            similar.setdiag(0)
            similar.eliminate_zeros()
            similarity = similar.max(axis=1).toarray().ravel().astype(np.float32)
            closest = np.asarray(similar.argmax(axis=1)).ravel().astype(np.int64)
            closest = np.where(similarity > 0, closest, -1)
            for kept in (closest, similarity):
                kept.setflags(write=False)
            return closest, similarity

        return near_duplicates

    def expanded(self, phrase: str) -> str:
        """The phrase followed by the long form of each acronym in it the history defines."""
        return " ".join([phrase, *self.long_forms_in(phrase).values()])

    def long_forms_in(self, phrase: str) -> dict[str, str]:
        """Each acronym of the phrase the history defines, as typed, with its long form
        ("ViT": "vision transformers")."""
        analyzer, found = self.vectorizer.analyzer, {}
        for word in re.findall(r"[^\W_]+", _folded(phrase)):
            stems = analyzer.stems(word)
            if len(stems) == 1 and stems[0] in self.long_forms:
                found.setdefault(word, self.long_forms[stems[0]][1])
        return found

    def phrase_vectors(self, phrases: Sequence[str]) -> sp.csr_matrix:
        """One row per phrase, in the papers' term space, of unit length counting unseen words.

        A word the history never used weighs in the phrase's length as much as the rarest
        word (the IDF of a term in no paper) but matches nothing, so a phrase whose
        distinctive word is unknown ("visuomotor policies") does not count as a strong
        match for every paper with its common word ("policy").
        """
        if not phrases:
            return sp.csr_matrix((0, len(self.terms)), dtype=np.float32)
        weighted = (self.vectorizer.transform(phrases) @ self.query_weights).tocsr()
        known = self.vectorizer.vocabulary_
        unseen_idf = np.log(len(self) + 1) + 1  # smooth IDF of a term in no paper
        analyze = self.vectorizer.build_analyzer()
        unseen = np.asarray(
            [sum(" " not in t and t not in known for t in set(analyze(p))) for p in phrases]
        )
        squares = np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel()
        length = np.sqrt(squares + unseen * unseen_idf**2)
        scale = np.divide(1.0, length, out=np.zeros_like(length), where=length > 0)
        return (sp.diags(scale) @ weighted).tocsr().astype(np.float32)

    def matches(self, phrases: Sequence[str], rows: np.ndarray, floor: float) -> sp.csr_matrix:
        """Phrases x papers (``rows`` of the index): where one sentence of a paper (its
        title is one) holds at least ``floor`` of a phrase's information (any of it when
        ``floor`` is 0; see ``coverage``) including its most informative word (or one of
        the equally informative), the share its best such sentence holds. So "quantum
        error correction" is no match for a paper on "error correction" of reasoning
        steps, nor for one with "quantum" in one sentence and "error correction" in
        another, and a phrase whose most informative word no paper uses matches nothing."""
        starts, ends = self.sentence_starts[rows], self.sentence_starts[np.asarray(rows) + 1]
        counts = ends - starts
        # The rows of the papers' sentences, paper after paper.
        sentences = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        shares, found = self._unit_shares(phrases, self.sentence_terms[sentences])
        covered = (shares @ found).tocsr()
        covered.data = np.where(
            covered.data >= floor if floor > 0 else covered.data > 0, covered.data, 0
        ).astype(np.float32)
        if shares.nnz:
            phrase_rows = np.repeat(np.arange(shares.shape[0]), np.diff(shares.indptr))
            rarest = shares.copy()
            rarest.data = (shares.data >= shares.max(axis=1).toarray().ravel()[phrase_rows]).astype(
                np.float32
            )
            has_rarest = (rarest @ found).tocsr()
            has_rarest.data = (has_rarest.data > 0).astype(np.float32)
            covered = covered.multiply(has_rarest).tocsr()
        covered.eliminate_zeros()
        # The best sentence of each paper: the largest share of each phrase it holds.
        covered = covered.tocoo()
        papers = np.repeat(np.arange(len(counts)), counts)[covered.col]
        order = np.lexsort((-covered.data, papers, covered.row))
        row, paper, share = covered.row[order], papers[order], covered.data[order]
        first = np.ones(len(row), bool)
        first[1:] = (row[1:] != row[:-1]) | (paper[1:] != paper[:-1])
        return sp.csr_matrix(
            (share[first], (row[first], paper[first])), shape=(len(phrases), len(counts))
        )

    def match_counts(
        self, phrases: Sequence[str], rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per typed phrase, how many of the papers ``rows`` match one of the interests it
        stands for (see ``interest_parts``) as ``recommend`` reads them, and how many hold
        one whole (see ``holding_whole``)."""
        rows = np.asarray(rows, np.int64)
        parts = [[self.as_read(p) for p in interest_parts(phrase)] for phrase in phrases]
        written = [part for phrase_parts in parts for part in phrase_parts]
        owners = np.repeat(np.arange(len(phrases)), [len(p) for p in parts])
        of_phrase = sp.csr_matrix(
            (np.ones(len(written), np.float32), (owners, np.arange(len(written)))),
            shape=(len(phrases), len(written)),
        )
        shares = self.matches(written, rows, FLOOR)
        whole = self.holding_whole(written, shares, _presence(self.matrix[rows]))
        return (
            (of_phrase @ _matched(shares)).tocsr().getnnz(axis=1),
            (of_phrase @ whole).tocsr().getnnz(axis=1),
        )

    def held_whole(
        self, phrases: Sequence[str], shares: sp.csr_matrix, presence: sp.csr_matrix
    ) -> np.ndarray:
        """Per phrase, whether some paper holds it whole (see ``holding_whole``)."""
        return self.holding_whole(phrases, shares, presence).getnnz(axis=1) > 0

    def holding_whole(
        self, phrases: Sequence[str], shares: sp.csr_matrix, presence: sp.csr_matrix
    ) -> sp.csr_matrix:
        """Phrases x papers, 1 where the paper holds the phrase whole: ``WHOLE`` of it in
        one sentence (``shares``, see ``matches``) and each two words it writes next to each
        other also next to each other (in either order) in the paper, but for generic words (see
        ``GENERIC``: "models" in "weather forecasting models"). So "molecular dynamics" is
        not held by a title with "a dynamic ... for molecular design"; "LLMs for
        mathematics" may be held by "LLMs ... mathematics".
        ``presence`` is the same papers x terms (1 where a paper has the term)."""
        analyzer, known = self.vectorizer.analyzer, self.vectorizer.vocabulary_
        information = self._information()
        pair_ids: dict[tuple[str, str], int] = {}
        rows, cols, sizes = [], [], []
        for row, phrase in enumerate(phrases):
            value = {s: information(s) for s in analyzer.stems(phrase)}
            pairs = {
                tuple(sorted(pair))
                for pair in analyzer.written_together(phrase)
                if min(value[pair[0]], value[pair[1]]) >= GENERIC
            }
            sizes.append(len(pairs))
            for pair in pairs:
                rows.append(row)
                cols.append(pair_ids.setdefault(pair, len(pair_ids)))
        # Pairs x terms: the pair's two word orders that some paper has.
        spellings = [
            (pair_id, known[term])
            for (a, b), pair_id in pair_ids.items()
            for term in {f"{a} {b}", f"{b} {a}"}
            if term in known
        ]
        pair_terms = sp.csr_matrix(
            (np.ones(len(spellings), np.float32), tuple(np.asarray(spellings).reshape(-1, 2).T)),
            shape=(len(pair_ids), len(self.terms)),
        )
        found = (presence @ pair_terms.T).T.tocsr()
        found.data = np.ones_like(found.data)
        phrase_pairs = sp.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(phrases), len(pair_ids))
        )
        # Phrases x papers holding WHOLE of the phrase in a sentence: 1 + the pairs found.
        whole = (shares >= WHOLE).astype(np.float32).tocsr()
        held = (whole + (phrase_pairs @ found).multiply(whole)).tocsr()
        sizes = np.asarray(sizes)
        phrase_of = np.repeat(np.arange(len(phrases)), np.diff(held.indptr))
        held.data = (held.data >= 1 + sizes[phrase_of]).astype(np.float32)
        held.eliminate_zeros()
        return held

    def lead_shares(
        self, phrases: Sequence[str], rows: np.ndarray
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Phrases x papers (``rows`` of the index): the share of each phrase's information
        in each paper's title (see ``coverage``), and in its lead: the title's share, or the
        share the abstract's first sentence holds where it holds the phrase whole (``WHOLE``
        of it), whichever is more. A paper names its subject in its title, and often whole
        in its first sentence ("We propose a vision transformer that ..."); part of a phrase
        there more often names a wider field ("language")."""
        rows = np.asarray(rows)
        in_title = self.coverage(phrases, self.title_terms[rows])
        starts, ends = self.sentence_starts[rows], self.sentence_starts[rows + 1]
        first = self.sentence_terms[np.where(ends - starts > 1, starts + 1, starts)]
        opening = self.coverage(phrases, first)
        opening.data = np.where(opening.data >= WHOLE, opening.data, 0).astype(np.float32)
        return in_title, in_title.maximum(opening).tocsr()

    def _information(self):
        """A stem's information (see ``coverage``): its smoothed IDF less one, or for a
        stem no paper uses, that of a term in no paper."""
        known, information = self.vectorizer.vocabulary_, self.vectorizer.idf_ - 1
        unseen = np.log(len(self) + 1)
        return lambda stem: information[known[stem]] if stem in known else unseen

    def coverage(self, phrases: Sequence[str], presence: sp.csr_matrix) -> sp.csr_matrix:
        """Phrases x papers: the share of each phrase's information a paper contains.

        A word's information is ``log((n + 1) / (df + 1))`` (the smoothed IDF less one),
        so a word in nearly every paper ("models", "learning") carries almost none and a
        paper that shares only such words with a phrase covers little of it.
        ``presence`` is papers x terms (1 where a paper has the term). A compound word
        ("pre-training", "pretraining") counts only when the paper has all its pieces;
        unseen words count with the information of a term in no paper and are never covered.
        An acronym the history defines ("ASR") is also covered by all words of its long
        form ("automatic speech recognition"), with the acronym's information.
        """
        shares, found = self._unit_shares(phrases, presence)
        return (shares @ found).tocsr()

    def _unit_shares(
        self, phrases: Sequence[str], presence: sp.csr_matrix
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Phrases x units (each word's share of its phrase's information; words no paper
        uses together as one unit) and units x papers (1 where a paper has the unit), as
        ``coverage`` says."""
        analyzer, known = self.vectorizer.analyzer, self.vectorizer.vocabulary_
        information = self._information()
        unit_ids: dict[tuple[str, ...] | None, int] = {}
        rows, cols, weights = [], [], []
        for row, phrase in enumerate(phrases):
            units = analyzer.units(phrase)
            unit_information = [sum(map(information, unit)) for unit in units]
            total = max(sum(unit_information), 1e-9)
            for unit, value in zip(units, unit_information, strict=True):
                rows.append(row)
                # Words no paper uses share one unit that no paper has.
                key = unit if all(stem in known for stem in unit) else None
                cols.append(unit_ids.setdefault(key, len(unit_ids)))
                weights.append(value / total)
        shares = sp.csr_matrix(
            (weights, (rows, cols)), shape=(len(phrases), len(unit_ids)), dtype=np.float32
        )
        # Each unit is found through itself or, for an acronym, its long form.
        spellings: dict[tuple[str, ...], int] = {}
        unit_rows, spelling_cols = [], []
        for unit, unit_id in unit_ids.items():
            if unit is None:
                continue
            long_form = self.long_forms.get(unit[0]) if len(unit) == 1 else None
            for spelling in (unit, tuple(long_form[0])) if long_form else (unit,):
                unit_rows.append(unit_id)
                spelling_cols.append(spellings.setdefault(spelling, len(spellings)))
        either = sp.csr_matrix(
            (np.ones(len(unit_rows), np.float32), (unit_rows, spelling_cols)),
            shape=(len(unit_ids), len(spellings)),
        )
        sizes = np.asarray([len(spelling) for spelling in spellings], dtype=np.int64)
        spelling_terms = sp.csr_matrix(
            (
                np.ones(sizes.sum(), np.float32),
                (
                    np.repeat(np.arange(len(spellings)), sizes),
                    [known[stem] for spelling in spellings for stem in spelling],
                ),
            ),
            shape=(len(spellings), len(self.terms)),
        )
        # Spellings x papers: 1 where a paper has every term of the spelling.
        found = (presence @ spelling_terms.T).T.tocsr()
        found.data = (found.data == np.repeat(sizes, np.diff(found.indptr))).astype(np.float32)
        found.eliminate_zeros()
        found = (either @ found).tocsr()
        found.data = np.minimum(found.data, 1)
        return shares, found

    def prior(
        self,
        rows: np.ndarray,
        *,
        popularity_weight: float,
        recency_weight: float,
        today: date | None,
    ) -> np.ndarray:
        """The factor (1 or a little more) a paper's score is multiplied by."""
        factor = 1 + popularity_weight * self.popularity[rows]
        if recency_weight:
            published = self.published[rows]
            now = today.toordinal() - date(1970, 1, 1).toordinal() if today else None
            now = now if now is not None else np.nanmax(self.published, initial=0)
            age = np.clip(now - published, 0, None)
            recency = np.where(np.isnan(age), 0.0, 0.5 ** (age / RECENCY_HALF_LIFE_DAYS))
            factor = factor + recency_weight * recency
        return factor.astype(np.float32)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences_of(abstract: str) -> list[str]:
    """An abstract's sentences (a title is one sentence, whatever its punctuation)."""
    return _SENTENCE_END.split(abstract)


def _sentences(
    vectorizer: TfidfVectorizer, titles: Sequence[str], abstracts: Sequence[str]
) -> dict[str, np.ndarray]:
    """The word terms present in each sentence of each paper (its title is the first), and
    where each paper's sentences start (``sentence_starts[i]:sentence_starts[i + 1]``).

    Each distinct word is analyzed once (``Analyzer.units`` of the word alone, as a word's
    terms do not depend on its neighbours), which keeps this a small part of a fit.
    """
    analyzer, vocabulary = vectorizer.analyzer, vectorizer.vocabulary_
    terms_of: dict[str, list[int]] = {}
    # Machine integers, not lists of Python ints: a year of papers holds tens of millions.
    indices, indptr, starts = array("i"), array("q", [0]), array("q", [0])
    for title, abstract in zip(titles, abstracts, strict=True):
        for sentence in [title, *_sentences_of(abstract)]:
            present: set[int] = set()
            for word in set(_tokens(sentence)):
                terms = terms_of.get(word)
                if terms is None:
                    terms = terms_of[word] = [
                        vocabulary[stem]
                        for unit in analyzer.units(word)
                        for stem in unit
                        if stem in vocabulary
                    ]
                present.update(terms)
            indices.extend(sorted(present))
            indptr.append(len(indices))
        starts.append(len(indptr) - 1)
    return {
        "sentence_terms": sp.csr_matrix(
            (np.ones(len(indices), np.float32), np.frombuffer(indices, np.int32), indptr),
            shape=(len(indptr) - 1, len(vocabulary)),
        ),
        "sentence_starts": np.asarray(starts, dtype=np.int64),
    }


PAPERS_PER_BLOCK = 10_000
"""Papers whose terms ``_count_terms`` counts at a time: bounds its temporary arrays
(a block of 10,000 synthetic papers holds about 2.7 million term occurrences)."""


@dataclass(frozen=True)
class _TermCounts:
    """The papers' ``titles`` and terms: ``counts`` (papers x ``terms``, the vocabulary in
    sorted order), ``in_title`` (1 where the title alone has the term), ``sentence_terms``
    (sentences x terms: 1 where a sentence has a word term; paper ``i``'s sentences are
    rows ``sentence_starts[i]:sentence_starts[i + 1]``, its title first), the ``analyzer``
    that finds them and its ``surface`` count of (stem, word) pairs; the ``acronyms`` the
    papers define (see ``AcronymMiner``)."""

    titles: list[str]
    analyzer: Analyzer
    terms: list[str]
    counts: sp.csr_matrix
    in_title: sp.csr_matrix
    sentence_terms: sp.csr_matrix
    sentence_starts: np.ndarray
    surface: Counter
    acronyms: dict[str, str]


def _count_terms(papers: Iterable[tuple[str, str]]) -> _TermCounts:
    """The term counts ``TfidfVectorizer(analyzer=Analyzer(texts)).fit_transform(texts)``
    makes of the papers' texts (and ``transform`` of their titles), without its Python
    work per word: each paper is split into words once, each distinct word is analyzed
    once, and the terms (words, compounds kept whole, adjacent pairs) of a block of
    papers are counted with NumPy. At 150,000 papers this is the fit's main cost; it was
    four passes of the analyzer over every paper (150,000 synthetic papers, load average
    about 3: the whole fit took 136 s before, 36 s now). The same pass mines the acronyms
    the papers define, so the papers are read once."""
    word_ids: defaultdict[bytes, int] = defaultdict()
    word_ids.default_factory = word_ids.__len__
    stream, title_ends, ends = array("i"), array("q"), array("q")
    sentence_ends, paper_sentences = array("q"), array("q", [0])
    titles, acronyms = [], AcronymMiner()
    for title, abstract in papers:
        titles.append(title)
        acronyms.add(paper_text(title, abstract))
        # A paper's text is its title, ". " and its abstract: the words of its title and of
        # each sentence of its abstract, in turn.
        stream.extend(map(word_ids.__getitem__, _words_of(title.lower())))
        sentence_ends.append(len(stream))
        title_ends.append(len(stream))
        for sentence in _sentences_of(abstract.lower()):
            stream.extend(map(word_ids.__getitem__, _words_of(sentence)))
            sentence_ends.append(len(stream))
        ends.append(len(stream))
        paper_sentences.append(len(sentence_ends))
    words = [word.decode() for word in word_ids]
    del word_ids
    stream = np.frombuffer(stream, dtype=np.int32)
    title_ends, ends = np.frombuffer(title_ends, np.int64), np.frombuffer(ends, np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    sentence_ends = np.frombuffer(sentence_ends, np.int64)
    sentence_starts = np.frombuffer(paper_sentences, np.int64)

    # Hyphenated spellings in the order of their last use (a later one wins).
    hyphenated = np.fromiter(("-" in word for word in words), bool, len(words))
    at = np.flatnonzero(hyphenated[stream])
    last_use = np.full(len(words), -1, np.int64)
    np.maximum.at(last_use, stream[at], at)
    in_order = np.flatnonzero(hyphenated)
    in_order = in_order[np.argsort(last_use[in_order])]
    analyzer = Analyzer()
    analyzer.learn_compounds(words[i] for i in in_order.tolist())
    analyzer.learn_adjectives(words)
    analyzer.learn_spellings(words)
    splits = [analyzer._split(word) for word in words]
    kept_stems = [[analyzer._stem(piece) for piece in kept] for kept, _ in splits]
    whole_stems = [analyzer._stem(c.replace("-", "")) if c else None for _, c in splits]
    stems = sorted({*(s for ss in kept_stems for s in ss), *(s for s in whole_stems if s)})
    if not stems:
        raise ValueError("empty vocabulary: the papers hold no word to index")
    stem_id = {stem: i for i, stem in enumerate(stems)}
    kept_count = np.fromiter(map(len, kept_stems), np.int64, len(words))
    kept_start = np.concatenate([[0], np.cumsum(kept_count)[:-1]]).astype(np.int64)
    kept_flat = np.fromiter((stem_id[s] for ss in kept_stems for s in ss), np.int64)
    whole = np.fromiter((stem_id[s] if s else -1 for s in whole_stems), np.int64, len(words))

    surface: Counter = Counter()
    occurrences = np.bincount(stream, minlength=len(words)).tolist()
    for (kept, compound), kept_stem, whole_stem, n in zip(
        splits, kept_stems, whole_stems, occurrences, strict=True
    ):
        for pair in zip(kept_stem, kept, strict=True):
            surface[pair] += n
        if compound:
            surface[whole_stem, compound] += n

    # A term is a key: stem ids (a, b) of a pair "a b" give a * width + b + 1, a stem a
    # alone a * width. Stems are ids in sorted order and made of word characters (all
    # after " "), so the keys sort as the terms' texts do: the vocabulary's order.
    width = len(stems) + 1
    n_keys = len(stems) * width
    most_sentences = int(np.diff(sentence_starts).max(initial=1))
    block = max(1, min(PAPERS_PER_BLOCK, 2**62 // (n_keys * most_sentences)))
    # Each paper's terms are at most its words, compounds and pairs of words.
    occurrences = 2 * int(kept_count[stream].sum()) + int((whole[stream] >= 0).sum())
    vocabulary = _Vocabulary()
    counted, titled, in_sentences = (_Entries(occurrences) for _ in range(3))
    for first in range(0, len(ends), block):
        last = min(first + block, len(ends))
        tokens = stream[starts[first] : ends[last - 1]]
        paper = np.repeat(np.arange(last - first), ends[first:last] - starts[first:last])
        token_in_title = np.arange(starts[first], ends[last - 1]) < title_ends[first:last][paper]
        n_kept = kept_count[tokens]
        offsets = np.repeat(kept_start[tokens] - (np.cumsum(n_kept) - n_kept), n_kept)
        stem = kept_flat[offsets + np.arange(len(offsets))]
        stem_paper = np.repeat(paper, n_kept)
        stem_in_title = np.repeat(token_in_title, n_kept)
        whole_stem = whole[tokens]
        has_whole = whole_stem >= 0
        pair = stem_paper[1:] == stem_paper[:-1]
        keys = np.concatenate(
            [
                stem * width,
                whole_stem[has_whole] * width,
                stem[:-1][pair] * width + stem[1:][pair] + 1,
            ]
        )
        in_title = np.concatenate(
            [
                stem_in_title,
                token_in_title[has_whole],
                (stem_in_title[:-1] & stem_in_title[1:])[pair],
            ]
        )
        keys += np.concatenate([stem_paper, paper[has_whole], stem_paper[1:][pair]]) * n_keys
        counted.add(keys, n_keys, last - first, vocabulary)
        titled.add(keys[in_title], n_keys, last - first, vocabulary)
        # Each sentence's words (kept pieces and compounds kept whole), once each.
        first_sentence, last_sentence = sentence_starts[first], sentence_starts[last]
        sentence_lengths = np.diff(
            sentence_ends[first_sentence:last_sentence], prepend=starts[first]
        )
        sentence = np.repeat(np.arange(last_sentence - first_sentence), sentence_lengths)
        words_of_sentences = np.concatenate([stem, whole_stem[has_whole]]) * width
        words_of_sentences += (
            np.concatenate([np.repeat(sentence, n_kept), sentence[has_whole]]) * n_keys
        )
        in_sentences.add(
            words_of_sentences,
            n_keys,
            last_sentence - first_sentence,
            vocabulary,
        )
    # (The words and their stems are counted: freed before the matrices are assembled.)
    del stream, tokens, words, splits, kept_stems, whole_stems, stem_id

    column = vocabulary.columns()
    first_stem, second_stem = np.divmod(vocabulary.keys, width)
    return _TermCounts(
        titles=titles,
        analyzer=analyzer,
        terms=[
            f"{stems[a]} {stems[b - 1]}" if b else stems[a]
            for a, b in zip(first_stem.tolist(), second_stem.tolist(), strict=True)
        ],
        counts=counted.matrix(column, ones=False),
        in_title=titled.matrix(column, ones=True),
        sentence_terms=in_sentences.matrix(column, ones=True),
        sentence_starts=sentence_starts.copy(),
        surface=surface,
        acronyms=acronyms.long_forms(),
    )


class _Vocabulary:
    """Term keys numbered as they first come, and in the end in sorted order."""

    def __init__(self):
        self.keys = np.zeros(0, np.int64)  # sorted
        self.ids = np.zeros(0, np.int64)  # each sorted key's number

    def numbers(self, keys: np.ndarray) -> np.ndarray:
        """The numbers of ``keys`` (sorted, distinct), new ones numbered next."""
        at = np.searchsorted(self.keys, keys)
        known = at < len(self.keys)
        known[known] = self.keys[at[known]] == keys[known]
        numbers = np.empty(len(keys), np.int64)
        numbers[known] = self.ids[at[known]]
        numbers[~known] = len(self.ids) + np.arange((~known).sum())
        keys_and_ids = np.concatenate([self.keys, keys[~known]])
        order = np.argsort(keys_and_ids, kind="stable")
        self.keys = keys_and_ids[order]
        self.ids = np.concatenate([self.ids, numbers[~known]])[order]
        return numbers

    def columns(self) -> np.ndarray:
        """Each number's column: its key's place in sorted order."""
        column = np.empty(len(self.ids), np.int32)
        column[self.ids] = np.arange(len(self.ids))
        return column


class _Entries:
    """Papers x terms, a block of papers at a time, written into arrays sized for the most
    entries there can be (pages never written take no memory), so no block is kept."""

    def __init__(self, capacity: int):
        self.indices, self.data = np.empty(capacity, np.int32), np.empty(capacity, np.float32)
        self.row_lengths: list[np.ndarray] = []
        self.size = 0

    def add(self, keys: np.ndarray, n_keys: int, n_papers: int, vocabulary: _Vocabulary):
        """Each occurrence's ``paper * n_keys + term key``."""
        entries, counts = np.unique(keys, return_counts=True)
        paper, term = np.divmod(entries, n_keys)
        terms = _sorted_unique(term)
        end = self.size + len(entries)
        self.indices[self.size : end] = vocabulary.numbers(terms)[np.searchsorted(terms, term)]
        self.data[self.size : end] = counts
        self.row_lengths.append(np.bincount(paper, minlength=n_papers))
        self.size = end

    def matrix(self, column: np.ndarray, *, ones: bool) -> sp.csr_matrix:
        """Papers x terms in sorted order: the counts, or 1 for each term found."""
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(self.row_lengths))])
        indices, data = self.indices[: self.size], self.data[: self.size]
        for start in range(0, self.size, 1 << 22):  # a slice at a time, in place
            indices[start : start + (1 << 22)] = column[indices[start : start + (1 << 22)]]
        if ones:
            data[:] = 1
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(column)))
        matrix.sort_indices()
        return matrix


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting: NumPy 2.4's hashing took 3.3 s for 2.7 million
    random int64 keys on this machine, sorting 0.2 s."""
    values = np.sort(values)
    return values[np.concatenate([values[:1] == values[:1], values[1:] != values[:-1]])]


def _bounded(
    counted: _TermCounts, *, min_df: int, max_terms: int
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix, list[str]]:
    """The counts, title terms, sentence terms and vocabulary restricted to the terms in at least
    ``min_df`` papers, at most the ``max_terms`` most frequent of them (as
    ``TfidfVectorizer``'s ``min_df`` and ``max_features``; ties by term order)."""
    counts = counted.counts
    kept = np.bincount(counts.indices, minlength=counts.shape[1]) >= min_df
    if kept.sum() > max_terms:
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        candidates = np.flatnonzero(kept)
        kept[:] = False
        kept[candidates[np.argsort(-frequency[candidates], kind="stable")[:max_terms]]] = True
    if kept.all():
        return counts, counted.in_title, counted.sentence_terms, counted.terms
    columns = np.flatnonzero(kept)
    return (
        counts[:, columns].tocsr(),
        counted.in_title[:, columns].tocsr(),
        counted.sentence_terms[:, columns].tocsr(),
        [counted.terms[c] for c in columns],
    )


def _presence(counts: sp.spmatrix) -> sp.csr_matrix:
    """Papers x terms, 1 where a paper has the term."""
    return (counts > 0).astype(np.float32).tocsr()


def _days(dates: Iterable[date | None]) -> np.ndarray:
    """Days since 1970 of each date, NaN when unknown."""
    epoch = date(1970, 1, 1).toordinal()
    return np.asarray([d.toordinal() - epoch if d else np.nan for d in dates], dtype=float)


def _rated_vectors(matrix: sp.csr_matrix, query_weights: sp.dia_matrix) -> sp.csr_matrix:
    """Papers as they move a profile when rated: their strongest terms, l2-normalized.

    A block of rows at a time, written into arrays of the result's size: the sort's
    memory is bounded, and no block is kept beside the result (at 150,000 papers, stacking
    the blocks took 170 MiB more at the build's peak)."""
    n_entries = np.minimum(np.diff(matrix.indptr), RATED_PAPER_TERMS)
    indptr = np.concatenate([[0], np.cumsum(n_entries)]).astype(np.int64)
    indices, data = np.empty(indptr[-1], np.int32), np.empty(indptr[-1], np.float32)
    for start in range(0, matrix.shape[0], 10_000):
        block = normalize(
            _top_terms(
                (matrix[start : start + 10_000] @ query_weights).astype(np.float32),
                RATED_PAPER_TERMS,
            )
        )
        at, end = indptr[start], indptr[start + block.shape[0]]
        indices[at:end], data[at:end] = block.indices, block.data
    return sp.csr_matrix((data, indices, indptr), shape=matrix.shape)


def _top_terms(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's ``k`` largest entries (positive float32), of equal ones the first terms."""
    matrix = matrix.tocsr()
    matrix.sort_indices()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.uint64), np.diff(matrix.indptr))
    # One stable sort by row, then value, largest first (a positive float32's bits sort as
    # its value does): 0.07-0.13 s against lexsort's 0.6-0.8 s for 10,000 papers' rows.
    key = (rows << np.uint64(32)) | (0xFFFFFFFF - matrix.data.view(np.uint32)).astype(np.uint64)
    order = np.argsort(key, kind="stable")
    keep = order[np.arange(len(order)) - matrix.indptr[rows[order].astype(np.int64)] < k]
    return sp.csr_matrix(
        (matrix.data[keep], (rows[keep].astype(np.int64), matrix.indices[keep])),
        shape=matrix.shape,
        dtype=np.float32,
    )


_PAPER_NOUNS = frozenset({"paper", "papers", "article", "articles", "preprint", "preprints"})
_REQUEST_WORDS = _PAPER_NOUNS | {
    "want",
    "looking",
    "interested",
    "like",
    "research",
    "work",
    "works",
    "study",
    "studies",
    "new",
    "latest",
    "recent",
    "advances",
    "topics",
    "things",
    "related",
}
"""Words with which readers ask for a topic rather than name it ("papers on", "I'm interested
in", "new work on", "object detection papers"; see ``_topic_of``). Measured on the dev
personas' keywords typed so (make bench-quality's phrasings): while these words were part of
each topic, "papers on X" ranked at nDCG@10 0.448, "X papers" 0.113, "I'm interested in X"
0.036 and "I want papers about X, Y, Z" 0.684 (plain TF-IDF 0.70-0.74); without them each
0.830, as typed plainly. Other words of the kind that sklearn's stop words hold ("anything",
"about", "interest") never were."""

_CONJUNCTION = re.compile(r"\s(?:and|or|&|\+)\s|/", re.IGNORECASE)


def interest_parts(phrase: str) -> list[str]:
    """The interests one typed phrase stands for, in its words: its items, separated by
    commas, semicolons, bars or brackets ("mixture of experts (MoE)"); an item that lists
    topics with "and", "or", "&", "+" or "/" is read as them ("object detection and image
    segmentation" as "object detection, image segmentation"; "survey and review and
    tutorial"; "pruning/quantization"), but two of which one is a single word stay one
    ("vision and language", "speech recognition and synthesis"); each without the words
    that ask for it ("papers on object detection"; see ``_topic_of``); and an item of
    ``LONG_PHRASE`` words or more as the runs of words between its stop words (stop words
    and one-letter words aside in counting)."""
    parts = []
    for piece in re.split(r"[,;|()\[\]]", phrase):
        items = _CONJUNCTION.split(piece)
        if len(items) == 2 and min(map(_kept_count, items)) < 2:
            items = [piece]
        for item in map(_topic_of, items):
            count = _kept_count(item)
            if count >= LONG_PHRASE:
                parts += _runs_of_kept([w.strip(string.punctuation) for w in item.split()])
            elif count:
                parts.append(" ".join(item.split()))
    return parts


def _topic_of(item: str) -> str:
    """An item without the words that ask for it: a leading run of ``_REQUEST_WORDS`` and
    stop words that ends in a stop word or holds two request words ("papers on", "I'm
    interested in", "new work on", "topics like"), and trailing ``_PAPER_NOUNS`` ("object
    detection papers"). A request word alone before a topic stays ("research agents"), as
    does an item of nothing else ("papers")."""
    words = item.split()
    start = 0
    while start < len(words) and all(
        t in _REQUEST_WORDS or not _is_kept(t) for t in _tokens(words[start])
    ):
        start += 1
    lead = [t for word in words[:start] for t in _tokens(word)]
    asking = sum(t in _REQUEST_WORDS for t in lead)
    if asking >= 2 or asking and not _is_kept(lead[-1]):
        words = words[start:]
    while len(words) > 1 and _tokens(words[-1]) and set(_tokens(words[-1])) <= _PAPER_NOUNS:
        words = words[:-1]
    return " ".join(words) if _kept_count(" ".join(words)) else item


def _kept_count(text: str) -> int:
    """How many words a text has, stop words and one-letter words aside, each piece of a
    hyphenated word counting ("teacher-student" two)."""
    return sum(_is_kept(piece) for token in _tokens(text) for piece in token.split("-"))


def _runs_of_kept(words: list[str]) -> list[str]:
    """The runs of words with no stop word (or empty word) among them."""
    runs, run = [], []
    for word in [*words, ""]:
        if (tokens := _tokens(word)) and all(map(_is_kept, tokens)):
            run.append(word)
        elif run:
            runs.append(" ".join(run))
            run = []
    return runs


@dataclass(frozen=True)
class Profiles:
    """What the recommender knows of a set of subscribers, as sparse matrices.

    ``interests`` and ``excludes`` are subscribers x phrases (weights); ``seen`` is
    subscribers x papers of the index (papers never to recommend again); ``feedback`` is
    subscribers x papers of the index (Rocchio weights: positive for liked papers,
    negative for disliked ones); ``bringing`` is subscribers x papers of the index (True
    for the liked papers that may bring papers in, the newest ``LIKES_BRINGING_IN``);
    ``limits`` is the most papers each subscriber wants.
    """

    phrases: list[str]
    interests: sp.csr_matrix
    excludes: sp.csr_matrix
    seen: sp.csr_matrix
    feedback: sp.csr_matrix
    bringing: sp.csr_matrix
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
        feedback: Iterable[tuple[int, int, float, float]] = (),
        dislike_weight: float = DISLIKE_WEIGHT,
        count_exponent: float = RATING_COUNT_EXPONENT,
    ) -> Profiles:
        """Profiles from rows of tuples, subscribers and papers given as row numbers.

        - ``interests``: ``(subscriber_row, phrase, weight, excluded)``, each phrase read
          as the interests it stands for (see ``interest_parts``);
        - ``seen``: ``(subscriber_row, paper_row)`` for papers already sent;
        - ``feedback``: ``(subscriber_row, paper_row, value, age_days)`` for ratings, value
          > 0 for a liked paper and < 0 for a disliked one, ``age_days`` how long ago it
          was rated. Liked papers pull the profile towards them (their mean, weight
          ``LIKE_WEIGHT``), disliked ones push it away (``dislike_weight``), both pulls
          growing with the number of ratings as its power ``count_exponent``; a rating's
          pull halves every ``RATING_HALF_LIFE_DAYS``.
        """
        n = len(limits)
        phrase_ids: dict[str, int] = {}
        # (row, phrase id, excluded) -> weight: a part typed twice counts once, at its most.
        weight_of: dict[tuple[int, int, bool], float] = {}
        for row, phrase, weight, is_excluded in interests:
            for part in interest_parts(phrase):
                key = (row, phrase_ids.setdefault(part, len(phrase_ids)), bool(is_excluded))
                weight_of[key] = max(weight, weight_of.get(key, weight))
        keys = np.asarray(list(weight_of), dtype=np.int64).reshape(-1, 3)
        rows, cols, excluded = keys[:, 0], keys[:, 1], keys[:, 2].astype(bool)
        weights = np.asarray(list(weight_of.values()), np.float32)
        shape = (n, len(phrase_ids))

        def matrix(mask, values):
            return sp.csr_matrix((values[mask], (rows[mask], cols[mask])), shape=shape)

        seen_pairs = np.asarray(list(seen), dtype=np.int64).reshape(-1, 2)
        seen_matrix = sp.csr_matrix(
            (np.ones(len(seen_pairs), bool), (seen_pairs[:, 0], seen_pairs[:, 1])),
            shape=(n, n_papers),
        )
        ratings = np.asarray(list(feedback), dtype=np.float64).reshape(-1, 4)
        return cls(
            phrases=list(phrase_ids),
            interests=matrix(~excluded, weights),
            excludes=matrix(excluded, np.ones_like(weights)),
            seen=seen_matrix,
            feedback=_rocchio(ratings, n, n_papers, dislike_weight, count_exponent),
            bringing=_newest_likes(ratings, n, n_papers),
            limits=np.asarray(limits, dtype=np.int64),
        )


def _newest_likes(ratings: np.ndarray, n: int, n_papers: int) -> sp.csr_matrix:
    """Subscribers x papers: True for each subscriber's newest ``LIKES_BRINGING_IN`` liked
    papers (``ratings`` as ``Profiles.build``'s ``feedback``)."""
    liked = ratings[ratings[:, 2] > 0]
    liked = liked[np.lexsort((liked[:, 3], liked[:, 0]))]  # by subscriber, newest first
    rows = liked[:, 0].astype(np.int64)
    newest = np.arange(len(rows)) - np.searchsorted(rows, rows) < LIKES_BRINGING_IN
    return sp.csr_matrix(
        (np.ones(newest.sum(), bool), (rows[newest], liked[newest, 1].astype(np.int64))),
        shape=(n, n_papers),
    )


def _rocchio(
    ratings: np.ndarray,
    n: int,
    n_papers: int,
    dislike_weight: float,
    count_exponent: float,
):
    """Subscribers x papers: each liked paper's share of ``LIKE_WEIGHT`` times the number
    of liked papers to the power ``count_exponent``, minus each disliked paper's share of
    ``dislike_weight`` (times their number to that power); ``ratings`` as
    ``Profiles.build``'s ``feedback``."""
    rows, papers = ratings[:, 0].astype(np.int64), ratings[:, 1].astype(np.int64)
    liked = ratings[:, 2] > 0
    fading = 0.5 ** (np.clip(ratings[:, 3], 0, None) / RATING_HALF_LIFE_DAYS)
    weights = np.zeros(len(ratings))
    for mask, total in ((liked, LIKE_WEIGHT), (ratings[:, 2] < 0, -dislike_weight)):
        count = np.bincount(rows[mask], minlength=n)
        weights[mask] = total * fading[mask] / count[rows[mask]] ** (1 - count_exponent)
    matrix = sp.csr_matrix((weights, (rows, papers)), shape=(n, n_papers), dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


@dataclass(frozen=True)
class Recommendations:
    """Flat arrays sorted by subscriber, then in the order to show.

    ``indptr[i]:indptr[i+1]`` are subscriber ``i``'s recommendations; ``paper`` holds
    rows of the paper index; ``score`` the relevance (see ``recommend``) times the prior;
    ``terms`` (when asked for) what contributed most to it, largest first: the interests
    as the subscriber typed them, and liked papers as ``"like: <title>"``.
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
    min_score: float = 0.01,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    explain: bool = True,
    popularity_weight: float = 0.0,
    recency_weight: float = 0.0,
    today: date | None = None,
    diversity: float = DIVERSITY,
    first_candidate: Sequence[int] | None = None,
    floor: float = FLOOR,
    liked_floor: float = LIKED_FLOOR,
    lead_weight: float = LEAD_WEIGHT,
) -> Recommendations:
    """Each subscriber's best candidate papers.

    A paper's relevance is the cosine of the subscriber's query (interests and rated papers)
    and the paper, where an interest phrase counts only for papers with a sentence that
    holds at least ``floor`` of its information (see ``PaperIndex.matches``; "visuomotor
    policies" is no match for a paper that only says "policies"), and counts ``1 +
    lead_weight * (its share in the paper's lead)`` there (see ``PaperIndex.lead_shares``).
    A paper enters only when it matches an interest phrase of a subscriber one of whose
    phrases some candidate holds whole (``WHOLE`` of it in one sentence, its words written
    together: a reader of "topological codes" gets no paper that has "topological" in one
    sentence and "code" in another, nor one of "molecular dynamics" a paper on "a dynamic
    ... for molecular design", when no paper is about them; see ``PaperIndex.held_whole``),
    or covers ``liked_floor`` of the title of a paper the subscriber liked (a like moves
    every match's score but brings in only such papers). Papers under ``min_score`` (in
    units of the subscriber's strongest interest: the relevance times |query| / strongest
    interest weight), already seen or about an excluded phrase are dropped. The order is by
    relevance times the prior ``1 + popularity_weight * popularity + recency_weight *
    recency`` (``recency`` halves every ``RECENCY_HALF_LIFE_DAYS`` before ``today``, by
    default the newest paper's date), and a paper that is a near-duplicate (cosine above
    ``NEAR_DUPLICATE``) of a better paper among the subscriber's first ``limit`` loses
    ``diversity`` times its similarity to it (a one-pass maximal marginal relevance on each
    subscriber's short list). ``score`` is the relevance times the prior; the explanations
    split the relevance (the prior is not a reason). With ``first_candidate``, subscriber
    ``i`` gets only ``candidates[first_candidate[i]:]`` (their edition's papers, candidates
    ordered oldest first); the ones before are blocked like papers already seen.
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    paper_vectors = index.matrix[candidates]
    papers_by_term = paper_vectors.T.tocsr()
    # The phrases as read (the explanations show them as typed).
    phrases = [index.as_read(p) for p in profiles.phrases]
    phrase_vectors = index.phrase_vectors([index.expanded(p) for p in phrases])
    presence = _presence(paper_vectors)
    cosines = (phrase_vectors @ papers_by_term).tocsr()
    # Phrases x candidates: each phrase's cosine with the papers that match it, more where
    # the phrase is in the lead.
    shares = index.matches(phrases, candidates, floor)
    # Phrases some candidate holds whole: in one sentence, their words written together.
    held_whole = index.held_whole(phrases, shares, presence).astype(np.float32)
    in_title, in_lead = index.lead_shares(phrases, candidates)
    matched = _lead_weighted(shares, in_lead, lead_weight)
    about = _about(cosines, in_title)
    phrase_scores = cosines.multiply(matched).tocsr()
    scores_by_paper = phrase_scores.T.tocsr()
    shares_by_paper = shares.T.tocsr() if explain else None
    prior = index.prior(
        candidates,
        popularity_weight=popularity_weight,
        recency_weight=recency_weight,
        today=today,
    )
    reorders = diversity > 0 or popularity_weight > 0 or recency_weight > 0
    # (No candidates, as on a day with no new papers: nothing to compare.)
    duplicates = (
        index.near_duplicates(candidates, n_threads) if diversity > 0 and len(candidates) else None
    )
    top_n = int(profiles.limits.max()) if len(profiles) else 0
    # Priors and near-duplicate demotion reorder a short list half again as long as needed.
    pool = top_n + (top_n + 1) // 2 if reorders else top_n
    # Map a paper-index row to its candidate column (or -1) to read the "seen" matrix.
    candidate_column = np.full(len(index), -1, dtype=np.int64)
    candidate_column[candidates] = np.arange(len(candidates))

    # The picks go straight into arrays of the most there can be: joining a list of
    # chunks at the end held every pick twice (bench-rank's peak RSS, 1,000,000 readers:
    # 593 MB joined, 490 MB so).
    indptr = np.zeros(len(profiles) + 1, dtype=np.int64)
    paper = np.empty(int(profiles.limits.sum()), np.int32)
    score = np.empty(len(paper), np.float32)
    terms = []
    for start in range(0, len(profiles), chunk_size):
        stop = min(start + chunk_size, len(profiles))
        chunk_interests, limits = profiles.interests[start:stop], profiles.limits[start:stop]
        interest = chunk_interests @ phrase_vectors
        feedback = profiles.feedback[start:stop]
        pull = feedback @ index.rated_vectors  # the ratings' part of each query
        inverse_norms = _inverse_norms(interest, pull)
        # Matches are (interest weights | 1 for each subscriber who rated) x (phrase scores ;
        # their pulls' products with the candidates), in units of the subscriber's
        # strongest interest: ``min_score`` then means the same for one interest or ten.
        # Times strongest / |query| it is the score.
        strongest = (
            chunk_interests.max(axis=1).toarray().ravel()
            if chunk_interests.shape[1]
            else np.zeros(stop - start, np.float32)  # no subscriber here has an interest
        )
        strongest = np.where(strongest > 0, strongest, 1.0).astype(np.float32)
        unit = sp.diags(1 / strongest)
        weights, features = (unit @ chunk_interests).tocsr(), phrase_scores
        liked_close = sp.csr_matrix((stop - start, len(candidates)), dtype=np.float32)
        bringing = profiles.bringing[start:stop]
        liked = np.unique(bringing.indices)
        close = sp.csr_matrix((len(liked), len(candidates)), dtype=np.float32)
        if feedback.nnz:
            # A row of features per subscriber who rated, not per rated paper: a year of
            # ratings costs about what one more interest does.
            rated = np.flatnonzero(np.diff(feedback.indptr))
            selected = sp.csr_matrix(
                (np.ones(len(rated), np.float32), (rated, np.arange(len(rated)))),
                shape=(stop - start, len(rated)),
            )
            weights = sp.hstack([weights, selected]).tocsr()
            # Scaled once multiplied (the pull holds every term of the rated papers), and on
            # the ranking's threads (500 readers with 182 ratings each, 2,876 candidates:
            # 0.80 s alone, 0.56 s on two).
            pulled = sp_matmul(pull, papers_by_term, n_threads=n_threads)
            features = sp.vstack([phrase_scores, (unit @ pulled)[rated]])
        if len(liked):
            # Subscribers x candidates: close to a liked paper that may bring papers in
            # (``liked_floor`` of its title).
            close = index.coverage([index.titles[r] for r in liked], presence)
            close.data = (close.data >= liked_floor).astype(np.float32)
            liked_close = (bringing[:, liked].astype(np.float32) @ close).tocsr()
        blocked = _blocked(profiles, start, stop, about, candidate_column)
        if first_candidate is not None and np.any(first_candidate[start:stop]):
            blocked = (
                blocked + _before(np.asarray(first_candidate[start:stop]), blocked.shape)
            ).tocsr()
        extra = int(np.diff(blocked.indptr).max()) if blocked.nnz else 0
        if top_n == 0 or len(candidates) == 0:
            product = sp.csr_matrix((stop - start, len(candidates)), dtype=np.float32)
        else:
            product = sp_matmul_topn(
                weights.astype(np.float32),
                features.astype(np.float32).tocsr(),
                top_n=min(pool + extra, len(candidates)),
                threshold=min_score,
                sort=True,
                n_threads=n_threads,
            )
        rows, cols, values = _unblocked(product, blocked)
        # A paper enters through the subscriber's interests only when a candidate holds
        # one of them whole in a sentence (else their words are about other things).
        keep = (np.asarray(chunk_interests @ held_whole).ravel() > 0)[rows]
        if len(rows) and (feedback.data > 0).any():
            # Likes move every match, but a paper enters only by matching an interest or
            # being close to a liked paper.
            interest_part = chunk_interests[rows].multiply(scores_by_paper[cols]).sum(axis=1)
            close_part = liked_close[rows, cols]
            keep = (keep & (np.asarray(interest_part).ravel() > 0)) | (
                np.asarray(close_part).ravel() > 0
            )
        if not keep.all():
            rows, cols, values = rows[keep], cols[keep], values[keep]
        values = values * (strongest * inverse_norms)[rows] * prior[cols]
        rows, cols, values = _best(rows, cols, values, limits, duplicates, diversity)
        counts = np.bincount(rows, minlength=stop - start)
        indptr[start + 1 : stop + 1] = indptr[start] + np.cumsum(counts)
        paper[indptr[start] : indptr[stop]] = candidates[cols]
        score[indptr[start] : indptr[stop]] = values
        if explain:
            terms.extend(
                _explain(
                    chunk_interests[rows].multiply(scores_by_paper[cols]).tocsr(),
                    shares_by_paper[cols],
                    _close_likes(feedback, liked, close, rows, cols),
                    paper_vectors[cols],
                    index,
                    profiles.phrases,
                )
            )

    return Recommendations(
        indptr=indptr,
        paper=paper[: indptr[-1]],
        score=score[: indptr[-1]],
        terms=terms if explain else None,
    )


def search(
    index: PaperIndex,
    query: str,
    *,
    limit: int,
    excluded: Sequence[str] = (),
    floor: float = FLOOR,
    lead_weight: float = LEAD_WEIGHT,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the (at most ``limit``) papers matching ``query``, best first, and scores;
    papers about one of the ``excluded`` phrases left out (as an excluded interest does).

    The query is scored as an interest is in ``recommend``: the topics it lists (see
    ``interest_parts``), each by its cosine with a paper that holds at least ``floor`` of
    its information, more where it is in the lead. A topic counts at most ``1 +
    lead_weight`` times its cosine, so papers are scored in the order of that bound, in
    growing chunks, until the ``limit``-th best score beats the next paper's bound: the
    same papers as scoring all, at a cost set mostly by ``limit`` rather than by how many
    papers share a word with the query (on 150,000 synthetic papers, "transformer": 0.56 s
    scoring all, 0.12 s so; six generic words: 0.83 s and 0.47 s).
    """
    parts = [index.as_written(part) for part in interest_parts(query)]
    vectors = index.phrase_vectors([index.expanded(part) for part in parts])
    if not vectors.nnz:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    terms = np.unique(vectors.indices)
    # Papers x parts: each paper's cosine with each part, from the parts' terms only.
    cosines = (index.matrix[:, terms] @ vectors[:, terms].T).tocsr()
    bound = np.asarray(cosines.sum(axis=1)).ravel() * (1 + lead_weight)
    order = np.lexsort((np.arange(len(bound)), -bound))
    order = order[bound[order] > 0]
    kept_out = [index.as_written(part) for phrase in excluded for part in interest_parts(phrase)]
    kept_out_vectors = index.phrase_vectors([index.expanded(part) for part in kept_out])
    rows, scores = order[:0], np.zeros(0)
    start, size = 0, 4 * max(limit, 1)
    while start < len(order):
        chunk = order[start : start + size]
        shares = index.matches(parts, chunk, floor)
        matched = _lead_weighted(shares, index.lead_shares(parts, chunk)[1], lead_weight)
        chunk_scores = np.asarray(matched.multiply(cosines[chunk].T).sum(axis=0)).ravel()
        if kept_out:
            # A paper about a topic kept out scores nothing (so the limit counts the rest).
            about = _about(
                (kept_out_vectors @ index.matrix[chunk].T).tocsr(),
                index.lead_shares(kept_out, chunk)[0],
            )
            chunk_scores[about.getnnz(axis=0) > 0] = 0
        rows, scores = np.concatenate([rows, chunk]), np.concatenate([scores, chunk_scores])
        start, size = start + size, 2 * size
        enough = start < len(order) and np.count_nonzero(scores) >= limit
        if enough and np.partition(scores, -limit)[-limit] > bound[order[start]]:
            break
    best = np.lexsort((rows, -scores))[:limit]
    best = best[scores[best] > 0]
    return rows[best], scores[best].astype(np.float32)


def _about(cosines: sp.csr_matrix, in_title: sp.csr_matrix) -> sp.csr_matrix:
    """Phrases x papers: True where a paper is about the phrase (what an excluded phrase
    drops), by its cosine with it (see ``EXCLUDE_THRESHOLD``) or its title holding it whole."""
    return ((cosines > EXCLUDE_THRESHOLD) + (in_title >= WHOLE)).astype(bool).tocsr()


def _lead_weighted(
    shares: sp.csr_matrix, in_lead: sp.csr_matrix, lead_weight: float
) -> sp.csr_matrix:
    """Phrases x papers: how much each match (``shares``, see ``PaperIndex.matches``)
    counts, ``1 + lead_weight * (the phrase's share in the paper's lead)``, so at most
    ``1 + lead_weight`` (see ``PaperIndex.lead_shares``)."""
    matched = _matched(shares)
    return matched + lead_weight * in_lead.multiply(matched) if lead_weight else matched


def _matched(shares: sp.csr_matrix) -> sp.csr_matrix:
    """1 where ``shares`` (see ``PaperIndex.matches``) has a match."""
    matched = shares.copy()
    matched.data = np.ones_like(matched.data)
    return matched


def _close_likes(feedback, liked, close, rows, cols) -> sp.csr_matrix:
    """(subscriber, paper) pairs x papers of the index: the Rocchio weights of the liked
    papers (``liked``, the rows of ``close``) each picked paper is ``close`` to."""
    weights = feedback[:, liked][rows].tocsr()
    weights.data = np.where(weights.data > 0, weights.data, 0)
    near = weights.multiply(close.T.tocsr()[cols]).tocoo()
    near.eliminate_zeros()
    return sp.csr_matrix(
        (near.data, (near.row, liked[near.col])), shape=(len(rows), feedback.shape[1])
    )


def _inverse_norms(interest: sp.csr_matrix, pull: sp.csr_matrix) -> np.ndarray:
    """1 / |interest + pull| of each row (0 for an empty one), as |interest|^2 + |pull|^2 +
    2 interest.pull: a year of ratings' pull holds thousands of terms and the interests a
    few, and their sum would copy the pull (measured: 182 ratings a reader, batches of 100,
    15 ms against 30 ms)."""
    n, width = pull.shape
    pull_rows = np.repeat(np.arange(n), np.diff(pull.indptr))
    interest_rows = np.repeat(np.arange(n), np.diff(interest.indptr))
    squares = np.zeros(n)
    squares += np.bincount(pull_rows, pull.data.astype(np.float64) ** 2, minlength=n)
    squares += np.bincount(interest_rows, interest.data.astype(np.float64) ** 2, minlength=n)
    if interest.nnz and pull.nnz:
        # The pull's entries at an interest's (row, term), found among the interests' keys
        # (ascending once each row's terms are).
        interest = interest.sorted_indices()
        keys = interest_rows * width + interest.indices
        is_interest_term = np.zeros(width, bool)
        is_interest_term[interest.indices] = True
        shared = np.flatnonzero(is_interest_term[pull.indices])
        rows = pull_rows[shared]
        shared_keys = rows * width + pull.indices[shared]
        at = np.minimum(np.searchsorted(keys, shared_keys), len(keys) - 1)
        hit = keys[at] == shared_keys
        products = pull.data[shared[hit]] * interest.data[at[hit]].astype(np.float64)
        squares += 2 * np.bincount(rows[hit], products, minlength=n)
    norms = np.sqrt(squares)
    return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0).astype(np.float32)


def _blocked(profiles, start, stop, about, candidate_column):
    """Subscribers x candidates: papers already seen, or ``about`` (phrases x candidates)
    an excluded phrase."""
    seen = profiles.seen[start:stop].tocoo()
    columns = candidate_column[seen.col]
    on_candidates = columns >= 0
    shape = (stop - start, about.shape[1])
    blocked = sp.csr_matrix(
        (np.ones(on_candidates.sum(), bool), (seen.row[on_candidates], columns[on_candidates])),
        shape=shape,
    )
    excludes = profiles.excludes[start:stop]
    if excludes.nnz:
        blocked = blocked + (excludes @ about).astype(bool)
    return blocked.tocsr()


def _before(first: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """Subscribers x candidates: True for each subscriber's candidates before ``first``."""
    first = np.clip(first, 0, shape[1]).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(first)])
    columns = np.arange(indptr[-1]) - np.repeat(indptr[:-1], first)
    return sp.csr_matrix((np.ones(len(columns), bool), columns, indptr), shape=shape)


def _unblocked(product: sp.csr_matrix, blocked: sp.csr_matrix):
    """The product's entries as (rows, cols, values), blocked ones dropped."""
    n_rows, n_cols = product.shape
    rows = np.repeat(np.arange(n_rows), np.diff(product.indptr))
    cols, values = product.indices.astype(np.int64), product.data
    if blocked.nnz:
        blocked_rows = np.repeat(np.arange(n_rows), np.diff(blocked.indptr))
        is_blocked = np.isin(rows * n_cols + cols, blocked_rows * n_cols + blocked.indices)
        rows, cols, values = rows[~is_blocked], cols[~is_blocked], values[~is_blocked]
    return rows, cols, values


def _best(rows, cols, values, limits, duplicates, diversity):
    """Each row's first ``limits[row]`` entries by value, near-duplicates demoted.

    An entry loses ``diversity`` times its similarity to a paper whose closest
    near-duplicate it is, when that paper has a higher value and is among its row's
    first ``limits[row]`` entries as they come (a one-pass maximal marginal relevance).
    Entries come grouped by row; each row's short list is handled as a row of a padded
    table, so this costs a few array operations per chunk.
    """
    n = len(limits)
    position = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n))[rows]
    width = int(position.max(initial=-1)) + 1
    cell = rows * width + position
    column = np.full((n, width), -1, np.int32)
    column.ravel()[cell] = cols
    value = np.full((n, width), -np.inf, np.float32)
    value.ravel()[cell] = values
    order = value
    if duplicates is not None and width:
        closest, similarity = duplicates
        leaders = min(int(limits.max()), width)
        lead = column[:, :leaders]
        # -2 matches no entry, not even padding (-1).
        their_closest = np.where(lead >= 0, closest[lead], -2)
        # Leader i demotes entry j of its row when j holds i's closest paper and i is better.
        hit = np.flatnonzero(their_closest[:, :, None] == column[:, None, :])
        row, i, j = hit // (leaders * width), hit // width % leaders, hit % width
        lead_value, entry_value = value[row, i], value[row, j]
        better = (lead_value > entry_value) | ((lead_value == entry_value) & (i < j))
        better &= i < limits[row]
        penalty = np.zeros_like(value)
        np.maximum.at(penalty, (row[better], j[better]), similarity[lead[row[better], i[better]]])
        order = value * (1 - diversity * penalty)
    ranked = np.argsort(-order, axis=1, kind="stable")
    ranked += np.arange(n)[:, None] * width
    kept = ranked[np.arange(width) < limits[:, None]]
    kept = kept[np.isfinite(value.ravel()[kept])]
    return kept // width, column.ravel()[kept].astype(np.int64), value.ravel()[kept]


def _explain(interest, shares, feedback, papers, index: PaperIndex, phrases) -> list[list[str]]:
    """For each (subscriber, paper) row pair, what added most to the pair's score.

    ``interest`` holds each interest phrase's part of the score (its weight times its
    cosine with the paper where it matches): a phrase is named as the reader typed it,
    after ``PARTLY_PREFIX`` where ``shares`` (pairs x phrases, see ``PaperIndex.matches``)
    says the paper holds less than ``WHOLE`` of it. A liked paper's part is its Rocchio
    weight times its similarity to the paper.
    """
    rows = np.repeat(np.arange(interest.shape[0]), np.diff(interest.indptr))
    held = np.asarray(shares[rows, interest.indices]).ravel() if len(rows) else np.zeros(0)
    reasons: list[list[tuple[float, str]]] = [[] for _ in range(interest.shape[0])]
    for row, value, phrase, share in zip(
        rows.tolist(), interest.data.tolist(), interest.indices.tolist(), held, strict=True
    ):
        if value > 0:
            prefix = PARTLY_PREFIX if share < WHOLE else ""
            reasons[row].append((value, prefix + phrases[phrase]))
    if feedback.nnz:
        rated = feedback.tocoo()
        liked = rated.data > 0
        item, paper, weight = rated.row[liked], rated.col[liked], rated.data[liked]
        similarity = np.asarray(
            index.rated_vectors[paper].multiply(papers[item]).sum(axis=1)
        ).ravel()
        for row, value, paper_row in zip(
            item.tolist(), (weight * similarity).tolist(), paper.tolist(), strict=True
        ):
            if value > 0:
                reasons[row].append((value, LIKED_PREFIX + index.titles[paper_row]))
    return [
        [label for _, label in sorted(reason, key=lambda r: -r[0])[:EXPLAIN_TERMS]]
        for reason in reasons
    ]
