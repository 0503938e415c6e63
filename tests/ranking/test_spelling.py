import difflib
import random
import tracemalloc
from collections import defaultdict

from digest.ranking import SPELLING_CUTOFF, SPELLING_LOOKUPS

from .conftest import rank, titles


def test_a_misspelled_word_is_named_as_typed_with_the_word_the_papers_use(sample_index):
    assert sample_index.unknown_words("Transfomer models for difusion") == {
        "Transfomer": "transformer",
        "difusion": "diffusion",
    }


def test_a_word_no_paper_uses_and_nothing_resembles_has_no_suggestion(sample_index):
    # "visuomotor" is a real word the sample's papers happen not to use.
    assert sample_index.unknown_words("visuomotor policies") == {"visuomotor": None}


def test_an_acronym_no_paper_uses_is_named_with_no_spelling_guess(sample_index):
    # The sample never writes "NMT"; three letters are too few to tell a typo by.
    assert sample_index.unknown_words("NMT, T2V, speech recognition 2024") == {
        "NMT": None,
        "T2V": None,
    }


def test_words_the_papers_use_in_any_form_are_not_unknown(sample_index):
    assert sample_index.unknown_words("speech recognition, LLMs, quantisation, of the") == {}
    assert sample_index.unknown_words("Fréchet distance, naïve baselines") == {}


def test_a_word_in_another_script_is_named_whole_as_typed(sample_index):
    # The papers are in English: these match nothing, and are named, not split into
    # fragments ("Gro" of "Größen") or left out (音声認識).
    assert sample_index.unknown_words("音声認識, Größen, تعلم الآلة, speech") == {
        "音声認識": None,
        "Größen": None,
        "تعلم": None,
        "الآلة": None,
    }


def test_a_reader_who_misspells_an_interest_gets_what_spelling_it_right_gets(sample_index):
    misspelled = rank(sample_index, [("speech recogniton", False), ("difusion models", False)])
    spelled = rank(sample_index, [("speech recognition", False), ("diffusion models", False)])

    assert misspelled and titles(misspelled) == titles(spelled)
    assert all(
        "speech recogniton" in terms or "difusion models" in terms for *_, terms in misspelled
    )


def test_a_misspelled_word_is_mended_where_the_reader_typed_it(sample_index):
    assert sample_index.respelled("Transfomer models, visuomotor policies") == (
        "transformer models, visuomotor policies"
    )
    assert sample_index.respelled("difusión models") == "diffusion models"  # accent and all


def test_looking_up_ever_new_unknown_words_keeps_the_process_memory_bounded(index):
    # Search queries and sign-ups from strangers bring words no paper uses, endlessly.
    def junk_words(start, stop):
        for n in range(start, stop, 20):
            index.unknown_words(" ".join(f"zq{m:07d}x" for m in range(n, n + 20)))

    junk_words(0, 5_000)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    junk_words(5_000, 20_000)
    grown = sum(d.size_diff for d in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()

    assert grown < 500_000  # 15,000 more words kept would be 1.6 MB


def test_a_text_of_many_unknown_words_looks_up_only_its_first_few(sample_index, monkeypatch):
    # A lookup scans the words of one initial: 8 ms each on a year of real papers.
    calls = []
    close_matches = difflib.get_close_matches
    monkeypatch.setattr(
        difflib, "get_close_matches", lambda *a: calls.append(1) or close_matches(*a)
    )

    junk = [f"zqx{a}{b}" for a in "abcde" for b in "abcdefgh"]
    text = " ".join(["segmentaton", *junk, "difusion"])
    unknown = sample_index.unknown_words(text)

    assert len(calls) == SPELLING_LOOKUPS and len(unknown) == 42
    assert unknown["segmentaton"] == "segmentation" and unknown["difusion"] is None


def test_the_word_suggested_is_the_one_difflib_finds_among_all_words_of_its_initial(
    sample_index,
):
    # Lookups skip the words whose letters could never make them close enough; that must
    # never change a suggestion (900 typos: a letter dropped, added or doubled).
    by_initial = defaultdict(list)
    for term in sample_index.terms.tolist():
        if term.isalpha():
            by_initial[term[0]].append(term)
    rng = random.Random(0)
    typos = []
    for word in rng.sample([w for w in sample_index.terms.tolist() if w.isalpha()], 300):
        i = rng.randrange(1, len(word))
        typos += [word[:i] + word[i + 1 :], word[:i] + rng.choice("aeiosty") + word[i:]]
        typos.append(word[:i] + word[i] + word[i:])

    suggested = {}
    for typo in typos:
        suggested |= sample_index.unknown_words(typo)
    assert len(suggested) > 300 and sum(1 for s in suggested.values() if s) > 100
    for typo, probably in suggested.items():
        if len(typo) < 4:
            continue  # too short to tell a typo by: no lookup
        best = difflib.get_close_matches(typo, by_initial[typo[0]], 1, SPELLING_CUTOFF)
        assert probably == (best[0] if best else None), typo
